import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { decodeText } from '../../../shared/text/decode';

/** The largest file the app reads: rule exports and origin bundles are far smaller. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

export type ReadFile = { name: string; text: string };

/**
 * Reads dropped or picked files as text. A file over the limit is refused by name through `refuse` (nothing is
 * half-read) and the answer is null. Text is decoded as it was saved (UTF-16, GBK, UTF-8 with or without BOM).
 */
export async function readFiles(
  list: FileList | readonly File[] | null,
  refuse: (error: { key: string; params: Record<string, string | number> }) => void,
): Promise<ReadFile[] | null> {
  const files: ReadFile[] = [];
  for (const f of Array.from(list ?? [])) {
    if (f.size > MAX_FILE_BYTES) {
      refuse({ key: 'app.file_too_big', params: { name: f.name, max: MAX_FILE_BYTES / 1024 / 1024 } });
      return null;
    }
    files.push({ name: f.name, text: decodeText(new Uint8Array(await f.arrayBuffer())).text });
  }
  return files;
}

/** A drop zone with a file picker inside: drag and drop, or click to choose. */
export function FileDrop(props: {
  label: string;
  multiple?: boolean;
  accept?: string;
  testId: string;
  onFiles: (files: FileList | null) => void;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const [over, setOver] = useState(false);
  return (
    <div
      className={`drop${over ? ' drop-over' : ''}`}
      data-testid={props.testId}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        props.onFiles(e.dataTransfer.files);
      }}
    >
      <label>
        {props.label}
        <input
          type="file"
          multiple={props.multiple ?? false}
          accept={props.accept}
          onChange={(e) => {
            props.onFiles(e.target.files);
            e.target.value = '';
          }}
        />
      </label>
      <span className="muted">{t('app.drop_here')}</span>
      {props.children}
    </div>
  );
}
