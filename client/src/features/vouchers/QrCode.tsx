/**
 * A QR code drawn as inline SVG from the `qrcode` package's module matrix: no canvas, no
 * data URL, crisp at any size, and the same error correction (M) the server uses.
 */
import { useMemo } from 'react';
import { create } from 'qrcode';

const QUIET_ZONE_MODULES = 4;

export function QrCode({ text, label, size = 240 }: { text: string; label: string; size?: number }) {
  const { path, dimension } = useMemo(() => {
    const { modules } = create(text, { errorCorrectionLevel: 'M' });
    const n = modules.size;
    let d = '';
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        if (modules.data[row * n + col] === 1) d += `M${col + QUIET_ZONE_MODULES} ${row + QUIET_ZONE_MODULES}h1v1h-1z`;
      }
    }
    return { path: d, dimension: n + QUIET_ZONE_MODULES * 2 };
  }, [text]);
  return (
    <svg
      className="qr"
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${dimension} ${dimension}`}
      shapeRendering="crispEdges"
      data-testid="qr-svg"
    >
      <rect width={dimension} height={dimension} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
