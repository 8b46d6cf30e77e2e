// Table and plot of bench/imitate.ts's results (one JSON per task, algo and seed).
import { renderVegaLiteSvg, type VegaLiteSpec } from '../src/bench/vega-svg.js';
import { reference } from './references.js';

/** One (task, algo, seed) result of bench/imitate.ts. */
export interface ImitationRow {
  env: string;
  algo: string;
  seed: number;
  /** Mean return of the learned policy over the evaluation episodes. */
  return: number;
  /** (return - random) / (demonstrator - random). */
  normalizedScore: number;
  randomReturn: number;
  expertReturn: number;
  /** The demonstrator: a checkpoint path or `expert` (scripted). */
  demonstrator: string;
  /** Demonstration episodes the learner saw (BC: its training split). */
  demoEpisodes: number;
  /** Env steps the learner took (GAIL/AIRL: PPO's; DAgger: its mixture policy's; BC: 0). */
  envSteps: number;
  config: unknown;
  wallSeconds: number;
  /** 1-minute load average at the start and the end of the run. */
  load: [number, number];
  date: string;
  /** With --transfer-to: PPO on the frozen learned reward on a changed-dynamics variant. */
  transfer?: {
    target: string;
    /** PPO steps of both transfer agents (older rows: the imitation run's). */
    steps?: number;
    /** `learnedRewardHook`'s supportPenalty (older rows: 0). */
    supportPenalty?: number;
    return: number;
    trueRewardReturn: number;
    randomReturn: number;
    /** The demonstrator's own policy on the variant (policy transfer). */
    demonstratorReturn: number;
    /** (return - random) / (PPO on the true reward - random). */
    normalizedScore: number;
    /** The variant's scripted expert, where it has one (older rows: absent). */
    variantExpertReturn?: number;
    /** (return - random) / (the variant's expert - random). */
    expertScore?: number;
  };
}

/** The `imitation` library's published mean normalized score of an algo (seals MuJoCo suite: a different suite; docs/references.md holds the figures and their source). */
const imitationLibraryMean = (algo: string): number => reference(`imitation.${algo}.normalized-mean`).value as number;
/** Issue 14's targets (BC: reported as it comes). */
export const TARGETS: Record<string, number | null> = { bc: null, dagger: 0.95, gail: 0.9, airl: 0.8 };
const ALGOS = ['bc', 'dagger', 'gail', 'airl'];

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x: number): string => x.toFixed(3);

/** A markdown table (mean normalized score per task and algo, the seeds listed) and a Vega-Lite bar chart as SVG. */
export function imitationReport(rows: ImitationRow[]): { markdown: string; svg: string } {
  const envs = [...new Set(rows.map((r) => r.env))].sort();
  const algos = ALGOS.filter((a) => rows.some((r) => r.algo === a));
  const lines = [
    `| task | ${algos.map((a) => a.toUpperCase()).join(' | ')} |`,
    `|---|${algos.map(() => '---').join('|')}|`,
  ];
  for (const env of envs) {
    const cells = algos.map((a) => {
      const rs = rows.filter((r) => r.env === env && r.algo === a).sort((x, y) => x.seed - y.seed);
      if (rs.length === 0) return 'not run';
      const steps = rs[0].envSteps > 0 ? `, ${rs[0].envSteps.toLocaleString('en-US')} steps` : '';
      return `**${fmt(mean(rs.map((r) => r.normalizedScore)))}** (seeds ${rs.map((r) => `${r.seed}: ${fmt(r.normalizedScore)}`).join(', ')}; ${rs[0].demoEpisodes} demos${steps})`;
    });
    lines.push(`| ${env} | ${cells.join(' | ')} |`);
  }
  lines.push(`| target (issue 14) | ${algos.map((a) => (TARGETS[a] === null ? 'reported' : `>= ${TARGETS[a]}`)).join(' | ')} |`);
  lines.push(`| \`imitation\` library's published mean, seals MuJoCo suite (other tasks; docs/references.md) | ${algos.map((a) => fmt(imitationLibraryMean(a))).join(' | ')} |`);
  const transfers = rows.filter((r) => r.transfer);
  if (transfers.length > 0) {
    lines.push(
      '',
      "| reward transfer | support penalty | seed | PPO steps | PPO on the learned reward | PPO on the true reward | random | the demonstrator's policy | the variant's expert | of expert | of PPO on the true reward |",
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of transfers.sort((x, y) => x.algo.localeCompare(y.algo) || (x.transfer!.supportPenalty ?? 0) - (y.transfer!.supportPenalty ?? 0) || x.seed - y.seed)) {
      const t = r.transfer!;
      const ve = t.variantExpertReturn !== undefined ? t.variantExpertReturn.toFixed(1) : '-';
      lines.push(`| ${r.algo.toUpperCase()} ${r.env} -> ${t.target} | ${t.supportPenalty ?? 0} | ${r.seed} | ${(t.steps ?? r.envSteps).toLocaleString('en-US')} | ${t.return.toFixed(1)} | ${t.trueRewardReturn.toFixed(1)} | ${t.randomReturn.toFixed(1)} | ${t.demonstratorReturn.toFixed(1)} | ${ve} | **${t.expertScore !== undefined ? fmt(t.expertScore) : '-'}** | ${fmt(t.normalizedScore)} |`);
    }
  }
  const spec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Imitation: normalized score (random 0, demonstrator 1)',
    width: 90,
    height: 220,
    data: { values: rows.map((r) => ({ task: r.env, algo: r.algo.toUpperCase(), seed: r.seed, score: r.normalizedScore })) },
    facet: { column: { field: 'task', type: 'nominal', title: null } },
    spec: {
      layer: [
        { mark: 'bar', encoding: { x: { field: 'algo', type: 'nominal', sort: ALGOS.map((a) => a.toUpperCase()), title: null }, y: { aggregate: 'mean', field: 'score', type: 'quantitative', title: 'normalized score', scale: { domain: [0, 1.1] } }, color: { field: 'algo', type: 'nominal', legend: null } } },
        { mark: { type: 'point', filled: true, color: 'black', size: 25 }, encoding: { x: { field: 'algo', type: 'nominal', sort: ALGOS.map((a) => a.toUpperCase()) }, y: { field: 'score', type: 'quantitative' } } },
      ],
    },
  } as VegaLiteSpec;
  return { markdown: lines.join('\n'), svg: rows.length > 0 ? renderVegaLiteSvg(spec) : '' };
}
