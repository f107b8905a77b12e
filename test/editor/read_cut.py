"""Reads an editor export with OpenTimelineIO and prints what a test checks, as JSON.

Usage: read_cut.py FILE ADAPTER [RATE]
  ADAPTER: otio_json, fcp_xml, cmx_3600 or fcpx_xml; RATE (frames per second) for cmx_3600.
Prints {"rate", "duration", "tracks": [{"kind", "items": [...]}]}: clips {"type": "clip", "name",
"url", "source_start", "source_duration", "source_rate", "record_start", "metadata"}, gaps
{"type": "gap", "duration", "record_start"} and transitions {"type": "transition", "in", "out"}
(record_start: frames from the track's start at the timeline's rate).
"""
import json
import sys

import opentimelineio as otio


def main() -> None:
    path, adapter = sys.argv[1], sys.argv[2]
    kwargs = {}
    if adapter == "cmx_3600" and len(sys.argv) > 3:
        kwargs["rate"] = float(sys.argv[3])
    tl = otio.adapters.read_from_file(path, adapter_name=adapter, **kwargs)
    if isinstance(tl, otio.schema.SerializableCollection):
        tl = next(iter(tl.find_children(descended_from_type=otio.schema.Timeline)), None) or tl[0]
    dur = tl.duration()
    out = {"rate": dur.rate, "duration": dur.value, "tracks": []}
    for track in tl.tracks:
        items = []
        for child in track:
            if isinstance(child, otio.schema.Transition):
                items.append({"type": "transition", "in": child.in_offset.value, "out": child.out_offset.value})
                continue
            rec = track.range_of_child(child).start_time
            if isinstance(child, otio.schema.Gap):
                items.append({"type": "gap", "duration": child.duration().value, "record_start": rec.value})
                continue
            sr = child.source_range or child.trimmed_range()
            items.append({
                "type": "clip", "name": child.name, "url": getattr(child.media_reference, "target_url", None),
                "source_start": sr.start_time.value, "source_duration": sr.duration.value, "source_rate": sr.start_time.rate,
                "record_start": rec.value, "metadata": child.metadata.get("ltx_batch"),
            })
        out["tracks"].append({"kind": track.kind, "items": items})
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
