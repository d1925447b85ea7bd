// Runs every benchmark suite in bench/*/index.ts in turn (filled in by the crypto, relay and client suites).
console.log('no benchmarks yet')
