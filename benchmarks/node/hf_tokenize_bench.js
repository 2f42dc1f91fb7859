// Hugging Face's Rust tokenizer (npm `tokenizers@0.23.2`, native binary inside the package) on one core:
// encodes every line of CHUNKS_FILE with TOKENIZER_JSON, REPEATS times, and prints one JSON line with the best
// throughput and a checksum of the ids (so the caller can check both sides did the same work).
//
//   npm install --prefix /some/scratch tokenizers@0.23.2
//   RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false NODE_PATH=/some/scratch/node_modules \
//     node hf_tokenize_bench.js TOKENIZER_JSON CHUNKS_FILE [REPEATS] [BATCH]
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

const [tokPath, chunksPath, repeatsArg, batchArg] = process.argv.slice(2);
if (!tokPath || !chunksPath) { console.error('usage: node hf_tokenize_bench.js TOKENIZER_JSON CHUNKS_FILE [REPEATS] [BATCH]'); process.exit(2); }
const repeats = Number(repeatsArg || 3), batch = Number(batchArg || 1000);
const chunks = fs.readFileSync(chunksPath, 'ascii').split('\n').filter(l => l.length > 0);
const bases = chunks.reduce((s, c) => s + c.length, 0);

(async () => {
  const tok = Tokenizer.fromFile(tokPath);
  tok.disablePadding();
  tok.disableTruncation();
  let best = null;
  for (let r = 0; r < repeats; r++) {
    let tokens = 0, idSum = 0;
    const cpu0 = process.cpuUsage(), t0 = process.hrtime.bigint();
    for (let i = 0; i < chunks.length; i += batch) {
      const encs = await tok.encodeBatch(chunks.slice(i, i + batch));
      for (const e of encs) { const ids = e.getIds(); tokens += ids.length; for (const id of ids) idSum += id; }
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuUse = process.cpuUsage(cpu0), cpu = (cpuUse.user + cpuUse.system) / 1e6;
    const run = { wall_s: wall, cpu_s: cpu, mbp_per_s_wall: bases / 1e6 / wall, mbp_per_s_cpu: bases / 1e6 / cpu, tokens, id_sum: idSum, bases, chunks: chunks.length };
    if (best === null || run.wall_s < best.wall_s) best = run;
  }
  process.stdout.write(JSON.stringify(best) + '\n');
})();
