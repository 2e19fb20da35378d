// The benchmark's statistics (bench/measure.mjs pairedRatios) and how bench/targets.mjs judges a target with
// them: plain arithmetic on made-up timings, no timing of anything.

import test from "ava";

import { pairedRatios } from "../bench/measure.mjs";
import { checkTargets } from "../bench/targets.mjs";

test("pairedRatios: the median round-by-round ratio and the sign test's 95 % ranks", (t) => {
  const tool = Array(20).fill(1);
  const versus = Array.from({ length: 20 }, (_, k) => 1 + k / 100); // ratios 1.00 .. 1.19
  const paired = pairedRatios(tool, versus);
  t.is(paired.rounds, 20);
  t.true(Math.abs(paired.median - 1.095) < 1e-12);
  // 20 rounds: P(Binomial(20, 1/2) <= 5) = 2.07 % and <= 6 is 5.77 %: the 6th and 15th smallest ratios
  t.true(Math.abs(paired.low - 1.05) < 1e-12);
  t.true(Math.abs(paired.high - 1.14) < 1e-12);
  // 6 rounds: P(Binomial(6, 1/2) = 0) = 1.6 %, so the interval is the whole range
  const six = pairedRatios(Array(6).fill(2), [2, 4, 6, 8, 10, 12]);
  t.deepEqual([six.low, six.high], [1, 6]);
});

test("pairedRatios: nothing for too few rounds or rounds that do not match", (t) => {
  t.is(pairedRatios([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]), undefined);
  t.is(pairedRatios(Array(8).fill(1), Array(7).fill(1)), undefined);
  t.is(pairedRatios(undefined, Array(8).fill(1)), undefined);
});

/** A shape with two cells whose per-round medians are given (seconds), and their overall medians. */
function shapeOf(toolRounds, versusRounds) {
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const cell = (toolId, rounds) => ({ toolId, label: toolId, medianSeconds: median(rounds), roundMedians: rounds });
  return { key: "shape", cells: [cell("a", toolRounds), cell("b", versusRounds)] };
}
const noise = (k) => 1 + 0.03 * Math.sin(k * 2.3); // ±3 % drift that both sides of a round share

test("checkTargets: a no-slower target passes at parity within the noise and misses a consistent slowdown", (t) => {
  const target = { shapeKey: "shape", toolId: "a", versusId: "b", atLeast: 1, noSlower: true };
  const rounds = Array.from({ length: 20 }, (_, k) => k);
  // 0.4 % slower on average with a per-round wobble of ±2 % on top of the shared drift: the ratio of medians
  // falls below 1, but not beyond the noise
  const level = checkTargets(
    [
      shapeOf(
        rounds.map((k) => noise(k) * (1.004 + 0.02 * Math.sin(k * 7.1))),
        rounds.map(noise),
      ),
    ],
    [target],
  );
  t.true(level[0].speedup < 1);
  t.is(level[0].status, "PASS");
  t.true(level[0].perRound.low < 1 && level[0].perRound.high >= 1);
  // 2 % slower in every round: the whole interval is below 1
  const slower = checkTargets(
    [
      shapeOf(
        rounds.map((k) => noise(k) * 1.02),
        rounds.map(noise),
      ),
    ],
    [target],
  );
  t.is(slower[0].status, "MISS");
  t.true(slower[0].perRound.high < 1);
});

test("checkTargets: other targets still compare the ratio of medians with the threshold", (t) => {
  const rounds = Array.from({ length: 20 }, (_, k) => k);
  const target = { shapeKey: "shape", toolId: "a", versusId: "b", atLeast: 1.7 };
  const shape = shapeOf(
    rounds.map((k) => noise(k)),
    rounds.map((k) => noise(k) * 1.69),
  );
  const [checked] = checkTargets([shape], [target]);
  t.is(checked.status, "MISS");
  t.true(checked.perRound.high > 1.69 - 1e-9); // an interval that reaches the threshold does not rescue it
  t.is(
    checkTargets(
      [
        shapeOf(
          rounds.map(noise),
          rounds.map((k) => noise(k) * 1.71),
        ),
      ],
      [target],
    )[0].status,
    "PASS",
  );
});

test("float16Lines: the relu shape from DRAM is reported with its ratio and interval, or why it was not measured", async (t) => {
  const { float16Lines } = await import("../bench/float16.mjs");
  const measured = float16Lines({
    shapes: [],
    smallUDram: {
      shapeKey: "32×1000×64→16 relu float16",
      float16: { medianSeconds: 250e-6, runs: 3000, copies: 132 },
      float32: { medianSeconds: 350e-6, runs: 2400, copies: 66 },
      perRound: { rounds: 20, median: 1.41, low: 1.37, high: 1.44 },
    },
  });
  t.true(measured.includes("  32×1000×64→16 relu float16, x from DRAM (rotated copies), into out (not a target):"));
  t.true(measured.some((line) => line.includes("float16 x: 250 µs (3000 runs over 132 copies)")));
  t.true(measured.includes("    float16 x 1.40× faster; round by round 1.41×, 95% interval 1.37–1.44×"));
  const failed = float16Lines({ shapes: [], smallUDram: { error: "cpu backend unavailable" } });
  t.true(failed.includes("    not measured: cpu backend unavailable"));
  t.false(float16Lines({ shapes: [] }).some((line) => line.includes("x from DRAM")));
});
