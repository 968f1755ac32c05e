/**
 * Getting the voucher's QR payload: the camera first; a photo of the code, or typing the
 * text shown under it, when the camera cannot be used.
 */
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { parseToken } from '@hqt/shared';
import { TextField } from '../../app/fields';
import { QrCamera } from './QrCamera';
import { decodePhoto, type DecoderKind } from './qrDecode';

export type ScanSource = 'camera' | 'photo' | 'manual';

export interface Scanned {
  token: string;
  mode: 'dynamic' | 'static';
  code: string;
  source: ScanSource;
  /** which reader decoded the image (camera and photo) */
  decoder?: DecoderKind;
}

const TOKEN_LENGTH_MAX = 80;
const PHOTO_BYTES_MAX = 20 * 1024 * 1024;

/** The scanned text as a voucher token, or null when it is not one. */
export function readToken(text: string, source: ScanSource): Scanned | null {
  const token = text.trim();
  const parsed = parseToken(token);
  return parsed === null ? null : { token, mode: parsed.mode, code: parsed.code, source };
}

function PhotoUpload({ onScanned }: { onScanned: (s: Scanned) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [status, setStatus] = useState<'idle' | 'reading' | 'none' | 'foreign' | 'unreadable' | 'tooLarge'>('idle');
  const onFile = async (file: File | undefined) => {
    if (file === undefined) return;
    if (file.size > PHOTO_BYTES_MAX) {
      setStatus('tooLarge');
      return;
    }
    setStatus('reading');
    try {
      const { text, kind } = await decodePhoto(file);
      if (text === null) {
        setStatus('none');
        return;
      }
      const scanned = readToken(text, 'photo');
      if (scanned === null) setStatus('foreign');
      else {
        setStatus('idle');
        onScanned({ ...scanned, decoder: kind });
      }
    } catch {
      setStatus('unreadable');
    }
  };
  return (
    <div className="field">
      <label htmlFor={id}>{t('scanner.photo')}</label>
      <input
        id={id}
        type="file"
        accept="image/*"
        aria-describedby={`${id}-hint`}
        data-testid="photo-input"
        onChange={(event) => {
          void onFile(event.target.files?.[0]);
          event.target.value = '';
        }}
      />
      <p id={`${id}-hint`} className="field-hint">
        {t('scanner.photoHint')}
      </p>
      {status !== 'idle' && (
        <p className={status === 'reading' ? 'note small' : 'field-error'} role="status">
          {t(`scanner.photoStatus.${status}`)}
        </p>
      )}
    </div>
  );
}

function ManualEntry({ onScanned }: { onScanned: (s: Scanned) => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const scanned = readToken(text, 'manual');
    if (scanned === null) {
      setError(text.trim() === '' ? t('validation.required') : t('problems.TOKEN_MALFORMED'));
      return;
    }
    setError(undefined);
    onScanned(scanned);
  };
  return (
    <form onSubmit={submit} noValidate>
      <TextField
        id="manual-token"
        label={t('scanner.manual')}
        hint={t('scanner.manualHint')}
        value={text}
        maxLength={TOKEN_LENGTH_MAX}
        error={error}
        onChange={setText}
      />
      <button type="submit" className="button button-secondary button-block">
        {t('scanner.manualSubmit')}
      </button>
    </form>
  );
}

export function ScanStep({ onScanned }: { onScanned: (s: Scanned) => void }) {
  const { t } = useTranslation();
  return (
    <>
      <section className="card" aria-labelledby="scan-camera-title">
        <h2 id="scan-camera-title">{t('scanner.cameraTitle')}</h2>
        <QrCamera
          accept={(text) => readToken(text, 'camera') !== null}
          onText={(text, decoder) => {
            const scanned = readToken(text, 'camera');
            if (scanned !== null) onScanned({ ...scanned, decoder });
          }}
        />
      </section>
      <section className="card" aria-labelledby="scan-fallback-title">
        <h2 id="scan-fallback-title">{t('scanner.fallbackTitle')}</h2>
        <PhotoUpload onScanned={onScanned} />
        <ManualEntry onScanned={onScanned} />
      </section>
    </>
  );
}
