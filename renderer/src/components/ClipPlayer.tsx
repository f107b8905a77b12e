import { Modal, Text } from '@mantine/core';

/** Plays one clip in a dialog. */
export function ClipPlayer({ clip, onClose }: { clip: { url: string; title: string } | null; onClose: () => void }) {
  return (
    <Modal opened={!!clip} onClose={onClose} title={<Text fw={600}>{clip?.title}</Text>} size="xl" centered>
      {clip && <video key={clip.url} src={clip.url} controls autoPlay className="clip-video" data-testid="clip-video" />}
    </Modal>
  );
}
