// Nothing a program does with workers, buffers, memory limits or a polluted prototype may crash tdfast. Each
// scenario runs in a child process (test/helpers/robust-child.mjs), since a failure would take the process down.

import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import test from "ava";

import { backends } from "../dist/esm/index.mjs";

const child = fileURLToPath(new URL("./helpers/robust-child.mjs", import.meta.url));
const cpu = backends().cpu;

/**
 * Runs a scenario; returns its exit status, signal, parsed JSON line and stderr.
 * @param {string} scenario
 * @param {{ env?: Record<string, string>, nodeArgs?: string[], shellPrefix?: string }} [options] shellPrefix: bash code run before node (a ulimit, say)
 */
function run(scenario, { env = {}, nodeArgs = [], shellPrefix } = {}) {
  const command = shellPrefix
    ? spawnSync("bash", ["-c", `${shellPrefix} exec "$0" "$@"`, process.execPath, ...nodeArgs, child, scenario], {
        env: { ...process.env, ...env },
        encoding: "utf8",
        timeout: 120_000,
      })
    : spawnSync(process.execPath, [...nodeArgs, child, scenario], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 });
  const lines = command.stdout.trim().split("\n");
  let result;
  try {
    result = JSON.parse(lines[lines.length - 1]);
  } catch {
    result = undefined;
  }
  return { status: command.status, signal: command.signal, result, stderr: command.stderr };
}

const survived = (t, outcome) => t.is(outcome.status, 0, `exit ${outcome.status} ${outcome.signal ?? ""}: ${outcome.stderr.slice(-800)}`);

if (!cpu.available) {
  test("robustness scenarios need the cpu backend", (t) => t.fail(`cpu unavailable: ${cpu.reason}`));
} else {
  test("worker.terminate() during async calls ends the worker, not the process; auto picks cpu in a worker", (t) => {
    const outcome = run("terminate");
    survived(t, outcome);
    t.deepEqual(outcome.result?.autos, [backends().cuda.available ? "cuda" : "cpu"]);
  });

  test("process.exit() inside a worker during an async call ends that worker only", (t) => {
    const outcome = run("exitInWorker");
    survived(t, outcome);
    t.deepEqual(outcome.result?.codes, [0, 0, 0, 0, 0, 0]);
  });

  test("process.exit() on the main thread while workers compute exits with its code", (t) => {
    const outcome = run("exitInMain");
    t.is(outcome.status, 7, `exit ${outcome.status} ${outcome.signal ?? ""}: ${outcome.stderr.slice(-800)}`);
  });

  test("workers that used the thread pool end cleanly and leave no threads behind", (t) => {
    const outcome = run("poolUnload");
    survived(t, outcome);
    const { threadsAfter5, threadsAfter40, values } = outcome.result;
    t.log(`threads after 5 workers: ${threadsAfter5}, after 40: ${threadsAfter40}`);
    t.true(threadsAfter40 <= threadsAfter5 + 1, `threads grew from ${threadsAfter5} to ${threadsAfter40}`);
    const expected = 1 / (1 + Math.exp(-6.4));
    t.true(Math.abs(values[0] - expected) < 1e-6 && Math.abs(values[1] - expected) < 1e-6, String(values));
  });

  test("an async call's x and out cannot be detached while it runs; the result stays right", (t) => {
    const outcome = run("transferDuringCall", { nodeArgs: ["--expose-gc"] });
    survived(t, outcome);
    // Node 20 copies an untransferable buffer in a transfer list; Node 22 and later throw a DataCloneError.
    for (const result of outcome.result.outcomes) t.true(["copied", "DataCloneError"].includes(result), result);
  });

  test("a native allocation that fails throws a RangeError with ERR_TDFAST_OUT_OF_MEMORY", (t) => {
    const outcome = run("outOfMemory", { shellPrefix: "ulimit -v 3600000;" });
    survived(t, outcome);
    const { errors, after } = outcome.result;
    t.is(errors.length, 2);
    for (const error of errors) {
      t.is(error.name, "RangeError", JSON.stringify(error));
      t.is(error.code, "ERR_TDFAST_OUT_OF_MEMORY");
      t.regex(error.message, /out of memory/);
    }
    t.is(after, 6);
  });

  test("options are read from own properties only: a polluted Object.prototype changes nothing", (t) => {
    const outcome = run("pollutedPrototype");
    survived(t, outcome);
    const { clean, results, outUntouched } = outcome.result;
    t.deepEqual(clean, [1, 2, 3, 4]);
    for (const result of results) t.deepEqual(result, clean);
    t.true(outUntouched);
  });

  test("one-off calls with a fresh kernel wrapper each time keep memory flat (200,000 calls, 48 MB heap)", (t) => {
    // Under AddressSanitizer (npm run sanitize) freed memory sits in its quarantine, which would count as growth.
    const env = process.env.LD_PRELOAD?.includes("libasan")
      ? { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ""}:quarantine_size_mb=0` }
      : {};
    const outcome = run("oneOffLoop", { nodeArgs: ["--max-old-space-size=48"], env });
    survived(t, outcome);
    t.log(`RSS growth after warm-up: ${outcome.result.growthMiB.toFixed(1)} MiB`);
    t.true(outcome.result.growthMiB < 24);
  });

  const usable = (() => {
    const outcome = run("threads");
    return outcome.result?.threads;
  })();

  for (const value of ["1e3", "4abc", "-2", "0", " 3", "two", "3.5"])
    test(`TDFAST_THREADS=${JSON.stringify(value)} is refused with a message naming it`, (t) => {
      const outcome = run("threads", { env: { TDFAST_THREADS: value } });
      survived(t, outcome);
      t.false(outcome.result.cpu.available);
      t.regex(outcome.result.cpu.reason, /TDFAST_THREADS: expected a whole number of threads from 1/);
    });

  test("TDFAST_THREADS is read once, at load", (t) => {
    const outcome = run("threadsReadOnce", { env: { TDFAST_THREADS: "3" } });
    survived(t, outcome);
    t.deepEqual(outcome.result, { threads: 3, value: 32 });
  });

  test("TDFAST_THREADS is capped at 4x the usable cores; the default is the cores this process may use", (t) => {
    t.is(usable, availableParallelism(), "the default follows the CPU affinity mask");
    t.is(run("threads", { env: { TDFAST_THREADS: "3" } }).result.threads, 3);
    t.is(run("threads", { env: { TDFAST_THREADS: "100000" } }).result.threads, 4 * usable);
    t.is(run("threads", { env: { TDFAST_THREADS: "99999999999999999999" } }).result.threads, 4 * usable);
    // Pinned to one core, the pool has no worker threads.
    if (spawnSync("taskset", ["--version"]).status === 0)
      t.is(run("threads", { shellPrefix: 'exec taskset -c 0 "$0" "$@"; ' }).result?.threads, 1);
    else t.log("taskset not found: the affinity case was not run");
  });
}
