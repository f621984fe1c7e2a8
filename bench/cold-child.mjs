// One cold import, in a fresh process: prints {"ms": <import() wall time>, "handler": <typeof handler>}.
const file = process.argv[2];
const t0 = process.hrtime.bigint();
const mod = await import(file);
const t1 = process.hrtime.bigint();
process.stdout.write(`${JSON.stringify({ ms: Number(t1 - t0) / 1e6, handler: typeof mod.handler })}\n`);
