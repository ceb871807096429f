import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ClaudeAuthError } from '../../errors.js';
import { action, printJson } from '../action.js';

interface BenchOptions {
  json?: boolean;
  quick?: boolean;
  saveBaseline?: string;
  baseline?: string;
  strict?: boolean;
  tolerance: string;
}

function tolerancePct(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 10_000) {
    throw new ClaudeAuthError('usage', `--tolerance must be a percentage from 0 to 10000, got "${value}"`);
  }
  return n;
}

/** `claude-auth bench`: the Phase 5 compliance benchmark against the built-in simulator. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      "run the specification's Phase 5 compliance benchmark (seven tests) against the built-in simulator on 127.0.0.1, through the real gateway; a full run takes about 20 s on 2 cores",
    )
    .option(
      '--json',
      'print {"overall_score","targets_met","tests":[{"name","avg_ms","p50_ms","p99_ms","success_rate","target","passed",…}],…}',
    )
    .option('--quick', 'far fewer samples, for smoke tests (figures not for comparison with a full run)')
    .option('--save-baseline <file>', 'write this run (the --json form) to FILE')
    .option('--baseline <file>', 'compare with a run saved by --save-baseline and flag regressions')
    .option('--tolerance <pct>', 'how much worse than the baseline (percent) counts as a regression', '25')
    .option('--strict', 'exit 1 when a target is missed or a regression is flagged')
    .action(
      action(async (opts: BenchOptions) => {
        const tolerance = tolerancePct(opts.tolerance);
        // loaded on use: the benchmark pulls in the gateway, the simulator and undici
        const bench = await import('../../bench/phase5/index.js');
        const { formatTable } = await import('../../bench/phase5/report.js');
        const { parseBaseline } = await import('../../bench/phase5/baseline.js');
        const { progressReporter } = await import('../../bench/phase5/progress.js');
        let baseline: ReturnType<typeof parseBaseline> | null = null;
        if (opts.baseline !== undefined) {
          try {
            baseline = parseBaseline(JSON.parse(readFileSync(opts.baseline, 'utf8')) as unknown);
          } catch (e) {
            throw new ClaudeAuthError(
              'usage',
              `cannot use ${opts.baseline} as a baseline: ${(e as Error).message}`,
              { hint: 'Save one with `claude-auth bench --save-baseline FILE`.' },
            );
          }
        }
        if (opts.quick)
          process.stderr.write('claude-auth bench: quick mode: far fewer samples (smoke test)\n');
        const progress = progressReporter(process.stderr);
        const report = await bench.runPhase5ComplianceBenchmark({
          quick: opts.quick === true,
          onProgress: (p) => progress.update(p),
        });
        progress.done();
        const json = bench.toPhase5Json(report);
        const comparison = baseline ? bench.compareWithBaseline(json, baseline, tolerance) : null;
        if (opts.saveBaseline !== undefined)
          writeFileSync(opts.saveBaseline, `${JSON.stringify(json, null, 2)}\n`);
        if (opts.json) {
          printJson({
            ...json,
            ...(comparison && opts.baseline !== undefined
              ? {
                  baseline: {
                    file: opts.baseline,
                    tolerance_pct: tolerance,
                    regressions: comparison.regressions,
                    compared: comparison.compared,
                    missing: comparison.missing,
                  },
                }
              : {}),
          });
        } else {
          const out: string[] = [formatTable(json), ''];
          if (comparison) {
            out.push(
              comparison.regressions.length === 0
                ? `baseline ${opts.baseline}: no regression beyond ${tolerance}% (${comparison.compared.length} tests compared)`
                : `baseline ${opts.baseline}: ${comparison.regressions.length} regression(s) beyond ${tolerance}%:`,
            );
            for (const r of comparison.regressions)
              out.push(
                `  REGRESSION ${r.test} ${r.figure}: ${r.baseline} → ${r.current} (${Number.isFinite(r.change) ? `+${(r.change * 100).toFixed(0)}%` : 'from 0'})`,
              );
          }
          if (opts.saveBaseline !== undefined) out.push(`saved this run to ${opts.saveBaseline}`);
          const m = report.machine;
          out.push(
            `${report.mode} run in ${(report.durationMs / 1000).toFixed(1)} s · node ${report.node} · ${m.cpus} CPUs, load average ${m.loadAverageStart} → ${m.loadAverageEnd}${report.mode === 'quick' ? ' · quick mode: fewer samples, not for comparison' : ''}`,
          );
          process.stdout.write(`${out.join('\n')}\n`);
        }
        const failed = !report.targetsMet || (comparison?.regressions.length ?? 0) > 0;
        return opts.strict && failed ? 1 : 0;
      }),
    );
}
