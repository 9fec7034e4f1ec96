// BullMQ peer of Herald's drain benchmark (bench/drain.sh): a producer enqueues N no-op
// jobs, then a Worker with concurrency C is timed from its construction (start-up
// included) to the last completion. Prints one line: `bullmq_drain_jobs_per_s=<rate>`.
//
//   node drain.mjs [--jobs 20000] [--concurrency 200] [--redis redis://127.0.0.1:6379]
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const jobs = Number(arg("--jobs", "20000"));
const concurrency = Number(arg("--concurrency", "200"));
const url = new URL(arg("--redis", "redis://127.0.0.1:6379"));
// BullMQ 6 in native ESM takes constructed clients; workers need maxRetriesPerRequest null.
const connect = () =>
  new Redis({ host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null });
// A unique queue per run, removed at the end: runs never share keys.
const name = `herald-bench-${process.pid}-${Date.now()}`;

const queue = new Queue(name, { connection: connect() });
const fill = performance.now();
for (let from = 0; from < jobs; from += 1000) {
  const n = Math.min(1000, jobs - from);
  await queue.addBulk(
    Array.from({ length: n }, (_, i) => ({
      name: "noop",
      data: { i: from + i },
      opts: { removeOnComplete: true, removeOnFail: true },
    })),
  );
}
console.error(`bullmq: ${jobs} jobs enqueued in ${((performance.now() - fill) / 1000).toFixed(1)} s`);

let done = 0;
let finished;
const allDone = new Promise((resolve) => (finished = resolve));
const start = performance.now();
const worker = new Worker(name, async () => {}, { connection: connect(), concurrency });
worker.on("completed", () => {
  done += 1;
  if (done === jobs) finished();
});
worker.on("failed", (_job, err) => {
  console.error(`bullmq: job failed: ${err}`);
});
const timeout = setTimeout(() => {
  console.error(`bullmq: only ${done} of ${jobs} completed in 600 s`);
  process.exit(1);
}, 600_000);
await allDone;
const secs = (performance.now() - start) / 1000;
clearTimeout(timeout);
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
const rate = jobs / secs;
console.error(`bullmq: drain ${jobs} jobs in ${secs.toFixed(2)} s = ${rate.toFixed(0)} jobs/s (concurrency ${concurrency})`);
console.log(`bullmq_drain_jobs_per_s=${rate.toFixed(0)}`);
