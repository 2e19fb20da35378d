// Timing: medians over adaptive repeat counts, the event-loop gap during a call, output comparison.

import { setTimeout as sleep } from "node:timers/promises";

import { seededRandom } from "./shapes.mjs";

const nowSeconds = () => Number(process.hrtime.bigint()) / 1e9;

/** Seconds one awaited call of `run` takes, and what it returned. */
export async function timeOnce(run) {
  const start = nowSeconds();
  const output = await run();
  return { seconds: nowSeconds() - start, output };
}

/**
 * Median microseconds per awaited call of `run` over `repeats` calls after `warmup` calls, for one tool on its
 * own (timeInterleaved compares several). `afterCall` gets each call's result (e.g. to dispose it) untimed.
 * @param {() => unknown} run
 * @param {number} repeats
 * @param {{ warmup?: number, afterCall?: (output: any) => void }} [options]
 */
export async function medianMicros(run, repeats, { warmup = 20, afterCall } = {}) {
  for (let i = 0; i < warmup; i++) afterCall?.(await run());
  const samples = [];
  for (let i = 0; i < repeats; i++) {
    const { seconds, output } = await timeOnce(run);
    samples.push(seconds * 1e6);
    afterCall?.(output);
  }
  samples.sort((a, b) => a - b);
  return quantile(samples, 0.5);
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Times several contenders against each other. After a warm-up, the calls are made in rounds: each round
 * gives every contender about `targetSeconds / rounds` of calls (at least one), in an order shuffled afresh
 * each round (the same shuffles every run). Load from elsewhere on the machine then falls on every contender
 * alike, so the ratios of their medians stay meaningful even when the absolute times drift. The order is
 * shuffled rather than rotated because a rotation always puts the same contender before each one, so whatever
 * a turn leaves behind (garbage to collect, a trimmed malloc heap, a core left idle) always falls on the same
 * next one; rotated, the float16 rows had tdfast's float16 x always follow onnxruntime-node's float16 model.
 *
 * Two things keep one contender's turn from depending on the others': each turn starts with untimed calls, at
 * least 3 and at least `turnWarmupSeconds` of them (a tool whose threads slept through another tool's turn,
 * with its data pushed out of cache, takes up to 3× as long for its first calls, and on the memory-bound shape
 * stays about 7 % slower for 20–40 ms: bench/probe/after-pause.mjs, docs/benchmarks.md), and a turn lasts a
 * time, not a count of calls fixed from the warm-up (a warm-up slowed by a burst of load once gave one
 * contender turns of 38 calls, mostly such first calls, against 667 for the next).
 * Each contender is { run, firstCallSeconds } (the cross-checked first call sizes its warm-up);
 * the result is per contender: runs, warmupCalls, the median, min, p10, p90 and mean seconds per call, and
 * roundMedians, the median of each round's turn (pairedRatios compares two contenders round by round).
 */
export async function timeInterleaved(contenders, { targetSeconds, rounds = 5, maxRunsPerRound = 4000, turnWarmupSeconds = 0.03 }) {
  const turnSeconds = targetSeconds / rounds;
  const states = [];
  for (const { run, firstCallSeconds } of contenders) {
    if (!(firstCallSeconds > 0)) throw new Error("timeInterleaved: every contender needs its first call's time");
    // Warm-up: JIT, caches, thread pools and allocators settle; a few calls or ~10% of the budget (one for slow tools).
    const warmupCalls = firstCallSeconds > 0.25 ? 1 : Math.max(2, Math.min(200, Math.floor((0.1 * targetSeconds) / firstCallSeconds)));
    let perCall = firstCallSeconds;
    try {
      for (let i = 0; i < warmupCalls; i++) perCall = Math.min(perCall, (await timeOnce(run)).seconds);
    } catch (error) {
      states.push({ error: error.message.split("\n")[0] });
      continue;
    }
    // At least 10 timed calls in all unless that would take over 4× the budget; then one a turn. Untimed calls
    // open each turn, except for tools slow enough (over 50 ms a call) that a first call's extra is noise.
    const minPerTurn = perCall * 10 <= 4 * targetSeconds ? Math.ceil(10 / rounds) : 1;
    const untimedPerTurn = perCall <= 0.05 ? 3 : 0;
    const untimedSeconds = perCall <= 0.05 ? turnWarmupSeconds : 0;
    states.push({ run, warmupCalls, minPerTurn, untimedPerTurn, untimedSeconds, samples: [], roundMedians: [] });
  }
  const random = seededRandom(0x7dfa57);
  for (let round = 0; round < rounds; round++) {
    const order = states.map((_, k) => k);
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [order[k], order[j]] = [order[j], order[k]];
    }
    for (const index of order) {
      const state = states[index];
      if (state.error) continue;
      try {
        const warmupStart = process.hrtime.bigint();
        for (let i = 0; i < state.untimedPerTurn || Number(process.hrtime.bigint() - warmupStart) / 1e9 < state.untimedSeconds; i++)
          await state.run();
        const turnStart = process.hrtime.bigint();
        const turn = [];
        for (let i = 0; i < maxRunsPerRound; i++) {
          const start = process.hrtime.bigint();
          await state.run();
          const end = process.hrtime.bigint();
          turn.push(Number(end - start) / 1e9);
          if (i + 1 >= state.minPerTurn && Number(end - turnStart) / 1e9 >= turnSeconds) break;
        }
        state.samples.push(...turn);
        turn.sort((a, b) => a - b);
        state.roundMedians.push(quantile(turn, 0.5));
      } catch (error) {
        state.error = error.message.split("\n")[0]; // this contender drops out; the others go on
      }
    }
  }
  return states.map(({ samples, roundMedians, warmupCalls, error }) => {
    if (error) return { error };
    const sorted = samples.sort((a, b) => a - b);
    return {
      runs: sorted.length,
      warmupCalls,
      medianSeconds: quantile(sorted, 0.5),
      minSeconds: sorted[0],
      p10Seconds: quantile(sorted, 0.1),
      p90Seconds: quantile(sorted, 0.9),
      meanSeconds: sorted.reduce((sum, t) => sum + t, 0) / sorted.length,
      roundMedians,
    };
  });
}

/**
 * Two contenders of one timeInterleaved run compared round by round: in round k both had a turn within a
 * second or so of each other, so load that drifts over seconds falls on both of a round's turns, and the ratio
 * of their turn medians (`versus / tool`, > 1 when tool is faster) cancels it. Returns the median of those
 * ratios and a distribution-free 95 % confidence interval for it (order statistics of the sign test: ratios
 * number lowRank and rounds + 1 - lowRank of the sorted ratios), or undefined when the rounds do not match
 * or are too few for an interval (at least 6).
 * @param {number[] | undefined} toolRounds
 * @param {number[] | undefined} versusRounds
 */
export function pairedRatios(toolRounds, versusRounds) {
  const rounds = toolRounds?.length ?? 0;
  if (rounds < 6 || versusRounds?.length !== rounds) return undefined;
  const ratios = toolRounds.map((seconds, k) => versusRounds[k] / seconds).sort((a, b) => a - b);
  // The largest rank r with P(Binomial(rounds, 1/2) < r) <= 2.5 %: [ratios[r - 1], ratios[rounds - r]] covers
  // the median ratio with at least 95 % probability whatever the distribution.
  let lowRank = 0;
  let below = 0; // P(Binomial(rounds, 1/2) < lowRank)
  let term = 0.5 ** rounds; // P(Binomial = lowRank)
  while (below + term <= 0.025) {
    below += term;
    term = (term * (rounds - lowRank)) / (lowRank + 1);
    lowRank += 1;
  }
  const median = rounds % 2 ? ratios[(rounds - 1) / 2] : (ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2;
  return { rounds, median, low: ratios[lowRank - 1], high: ratios[rounds - lowRank] };
}

/**
 * The longest the event loop went without running a 1 ms interval while `calls` awaited calls of `run`
 * were in flight: how long a server built on this would stall. ~1 ms means it never stalled.
 */
export async function largestEventLoopGap(run, calls = 3) {
  let last = nowSeconds();
  let largest = 0;
  const tick = () => {
    const now = nowSeconds();
    largest = Math.max(largest, now - last);
    last = now;
  };
  const timer = setInterval(tick, 1);
  await sleep(20); // let the interval start ticking before the work
  last = nowSeconds();
  largest = 0;
  const start = nowSeconds();
  for (let i = 0; i < calls; i++) await run();
  const busySeconds = nowSeconds() - start;
  await sleep(5); // the tick right after the last call closes the final gap
  clearInterval(timer);
  return { largestGapSeconds: largest, busySeconds, calls };
}

/** The same measurement with nothing running: the timer's own lateness, for scale. */
export async function idleEventLoopGap(seconds = 0.2) {
  return largestEventLoopGap(() => sleep(seconds * 1000), 1);
}

/** Largest |a[i] - b[i]|; NaN where either holds a NaN, Infinity on a length mismatch. */
export function maxAbsDiff(a, b) {
  if (!a || !b || a.length !== b.length) return Infinity;
  let largest = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (!(diff <= largest)) largest = Number.isNaN(diff) ? NaN : diff;
    if (Number.isNaN(largest)) return NaN;
  }
  return largest;
}
