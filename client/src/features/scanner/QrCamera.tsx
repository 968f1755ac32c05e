/**
 * The camera scanner: the rear camera's stream in a <video>, read every few hundred
 * milliseconds until a QR code turns up. The camera starts only when the cashier asks (a
 * button), and stops as soon as a code is read or the page is left.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { frameDecoder, type DecoderKind } from './qrDecode';

const SCAN_INTERVAL_MS = 200;

type CameraState =
  | { status: 'idle' }
  | { status: 'starting' }
  | { status: 'scanning'; decoder: DecoderKind }
  | { status: 'failed'; reason: 'denied' | 'noCamera' | 'insecure' | 'other' };

function failureOf(error: unknown): 'denied' | 'noCamera' | 'other' {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NotReadableError') return 'noCamera';
  return 'other';
}

/** `accept` filters what counts as a read: other QR codes (a shop's payment code) keep the camera scanning. */
export function QrCamera({ onText, accept }: { onText: (text: string, decoder: DecoderKind) => void; accept: (text: string) => boolean }) {
  const { t } = useTranslation();
  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const timerRef = useRef<number | null>(null);
  const onTextRef = useRef(onText);
  onTextRef.current = onText;
  const acceptRef = useRef(accept);
  acceptRef.current = accept;
  const [state, setState] = useState<CameraState>({ status: 'idle' });
  const [foreign, setForeign] = useState(false);

  const stop = useCallback(() => {
    if (timerRef.current !== null) window.clearTimeout(timerRef.current);
    timerRef.current = null;
    for (const track of streamRef.current?.getTracks() ?? []) track.stop();
    streamRef.current = null;
  }, []);

  useEffect(() => stop, [stop]);

  const start = async () => {
    if (navigator.mediaDevices?.getUserMedia === undefined) {
      setState({ status: 'failed', reason: window.isSecureContext ? 'noCamera' : 'insecure' });
      return;
    }
    setState({ status: 'starting' });
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
      streamRef.current = stream;
      const video = videoRef.current;
      if (video === null) {
        stop();
        return;
      }
      video.srcObject = stream;
      await video.play();
      const decoder = await frameDecoder();
      setState({ status: 'scanning', decoder: decoder.kind });
      const tick = async () => {
        if (streamRef.current === null) return;
        let text: string | null = null;
        try {
          text = video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA ? await decoder.decode(video) : null;
        } catch {
          // A frame that cannot be read (mid-resize): try the next one.
        }
        if (streamRef.current === null) return;
        if (text !== null && !acceptRef.current(text)) {
          setForeign(true);
          text = null;
        }
        if (text !== null) {
          stop();
          setForeign(false);
          setState({ status: 'idle' });
          onTextRef.current(text, decoder.kind);
          return;
        }
        timerRef.current = window.setTimeout(() => void tick(), SCAN_INTERVAL_MS);
      };
      void tick();
    } catch (error) {
      stop();
      setState({ status: 'failed', reason: failureOf(error) });
    }
  };

  const active = state.status === 'starting' || state.status === 'scanning';
  return (
    <div className="camera">
      <div className={`camera-frame${active ? ' camera-on' : ''}`}>
        <video ref={videoRef} muted playsInline aria-label={t('scanner.cameraView')} data-testid="camera-video" />
        {active && <span className="camera-guide" aria-hidden="true" />}
        {!active && (
          <span className="camera-off" aria-hidden="true">
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round">
              <path d="M3 7V5a2 2 0 0 1 2-2h2M17 3h2a2 2 0 0 1 2 2v2M21 17v2a2 2 0 0 1-2 2h-2M7 21H5a2 2 0 0 1-2-2v-2" />
              <rect x="7" y="7" width="4" height="4" />
              <rect x="13" y="7" width="4" height="4" />
              <rect x="7" y="13" width="4" height="4" />
              <path d="M13 13h4v4M15 17h2" />
            </svg>
          </span>
        )}
      </div>
      <p className="camera-status" role="status" data-testid="camera-status">
        {state.status === 'idle' && t('scanner.cameraIdle')}
        {state.status === 'starting' && t('scanner.cameraStarting')}
        {state.status === 'scanning' && (
          <>
            {t('scanner.cameraScanning')}{' '}
            <span className="muted small" data-testid="decoder" data-decoder={state.decoder}>
              {t(`scanner.decoder.${state.decoder}`)}
            </span>
          </>
        )}
        {state.status === 'failed' && t(`scanner.cameraFailed.${state.reason}`)}
      </p>
      {foreign && active && <p className="note small">{t('scanner.foreignCode')}</p>}
      {active ? (
        <button type="button" className="button button-secondary button-block" onClick={() => { stop(); setState({ status: 'idle' }); }}>
          {t('scanner.stopCamera')}
        </button>
      ) : (
        <button type="button" className="button button-primary button-block" onClick={() => void start()}>
          {t('scanner.startCamera')}
        </button>
      )}
    </div>
  );
}
