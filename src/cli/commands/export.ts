import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';

/** Flags of `lamkit export`. */
export interface ExportFlags {
  checkpoint: string;
  format: string;
  out: string;
  force?: boolean;
  withDistribution?: boolean;
  withValue?: boolean;
}

/**
 * `lamkit export`: writes a checkpoint's policy as ONNX models (or a tfjs
 * graph model) in `--out` with an `export.json` manifest; an existing
 * `--out` is refused unless `--force`.
 */
export async function runExport(flags: ExportFlags): Promise<import('../../../agents/export/export-policy.js').ExportResult> {
  const { exportPolicy, EXPORT_FORMATS } = await import('../../../agents/export/export-policy.js');
  const format = flags.format as (typeof EXPORT_FORMATS)[number];
  if (!EXPORT_FORMATS.includes(format)) {
    throw new InvalidArgument(formatError('lamkit export --format', EXPORT_FORMATS.join(' or '), describeValue(flags.format), `Pass --format ${EXPORT_FORMATS[0]}`));
  }
  if (existsSync(flags.out) && !flags.force) {
    throw new InvalidArgument(formatError('lamkit export --out', 'a path that does not exist yet', `${describeValue(flags.out)} (it exists)`, 'Replace it with --force, or pick another --out'));
  }
  return exportPolicy(flags.checkpoint, flags.out, { format, distribution: flags.withDistribution === true, value: flags.withValue === true });
}

/** Registers `lamkit export`. */
export function register(program: Command): void {
  program
    .command('export')
    .description('Export a checkpoint\'s policy for deployment without lamkit: ONNX (observation normalization folded in, deterministic action out; transformer: cached step model and full-window model)')
    .requiredOption('--checkpoint <dir>', 'a `lamkit train --out` directory or its checkpoint/ subdirectory')
    .requiredOption('--out <dir>', 'directory to write: policy.onnx [, policy-window.onnx] or model.json + weights.bin, and export.json')
    .option('--format <format>', 'onnx (every kind), or tfjs (a tfjs graph model: model.json + weights.bin; mlp only)', 'onnx')
    .option('--with-distribution', 'also output the distribution parameters (logits, or mean and log_std)')
    .option('--with-value', "also output the critic's value")
    .option('--force', 'replace an existing --out')
    .action(async (flags: ExportFlags) => {
      const r = await runExport(flags);
      process.stdout.write(`lamkit export: ${r.kind} policy of ${r.envId} -> ${r.dir}: ${r.files.map((f) => `${f.file} (${f.role}, ${(f.bytes / 1024).toFixed(1)} KiB)`).join(', ')}, export.json\n`);
    });
}
