/** Files the creator gives the app (an upload, a dropped image) as the contract carries them. */

/** The bytes of `file` as base64 (no data: prefix). Rejects when the browser cannot read it. */
export function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(new Error(`could not read ${file.name}`));
    r.readAsDataURL(file);
  });
}

/** The media column a dropped file goes to by its type: image, audio or video (null for anything else). */
export function mediaColumnOf(file: File): 'image' | 'audio' | 'video' | null {
  const kind = file.type.split('/')[0];
  return kind === 'image' || kind === 'audio' || kind === 'video' ? kind : null;
}
