import { formatMs } from './report.js';
import type { Phase5Progress, Phase5TestResult } from './types.js';

const BAR_WIDTH = 28;
/** Redraw the bar at most this often, ms. */
const REDRAW_MS = 100;

function verdict(r: Phase5TestResult): string {
  if (r.error) return `ERROR ${r.error}`;
  const figure =
    r.unit === 'ms'
      ? `p99 ${formatMs(r.value)} ms`
      : r.unit === 'MB'
        ? `${r.value.toFixed(4)} MB per agent`
        : `${r.value} ${r.unit}`;
  return `${figure} (target ${r.target}: ${r.passed ? 'pass' : 'FAIL'}; goal ${r.goal}: ${r.goalMet ? 'met' : 'not met'})`;
}

/**
 * A progress display for `claude-auth bench` on `out` (stderr): a bar redrawn in place on a
 * terminal, plain lines (one per test started and finished) otherwise.
 */
export function progressReporter(out: NodeJS.WriteStream): {
  update(p: Phase5Progress): void;
  /** Clears the bar (terminal) before the results are printed. */
  done(): void;
} {
  const tty = out.isTTY === true;
  // a terminal that reports no size (e.g. under `script`) gets 80 columns
  const width = () => (out.columns !== undefined && out.columns >= 20 ? out.columns : 80) - 1;
  const clear = () => out.write(`\r${' '.repeat(width())}\r`);
  let lastDraw = 0;
  let drawn = false;
  const draw = (p: Phase5Progress) => {
    const overall = (p.index + p.fraction) / p.total;
    const filled = Math.round(overall * BAR_WIDTH);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(overall * 100)).padStart(3)}%  ${p.index + 1}/${p.total} ${p.title}`;
    out.write(`\r${line.slice(0, width()).padEnd(Math.min(width(), line.length + 8))}`);
    drawn = true;
  };
  return {
    update(p) {
      if (tty) {
        if (p.result) {
          clear();
          out.write(`${p.result.passed ? 'ok  ' : 'FAIL'} ${p.title}: ${verdict(p.result)}\n`);
          draw(p);
          return;
        }
        const now = Date.now();
        if (now - lastDraw >= REDRAW_MS || p.fraction === 0) {
          lastDraw = now;
          draw(p);
        }
        return;
      }
      if (p.result)
        out.write(`claude-auth bench: ${p.index + 1}/${p.total} ${p.title}: ${verdict(p.result)}\n`);
      else if (p.fraction === 0) out.write(`claude-auth bench: ${p.index + 1}/${p.total} ${p.title} …\n`);
    },
    done() {
      if (tty && drawn) clear();
    },
  };
}
