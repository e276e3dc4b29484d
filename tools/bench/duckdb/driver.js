#!/usr/bin/env node
// The DuckDB side of cotrack_bench (tools/bench/duckdb_runner.cc starts it).
//
//   node driver.js WORKLOAD.json
//
// WORKLOAD.json is written by the C++ bench: the generated CSV files, the
// store directory, the visits to record, the point-query keys (the same
// keys, drawn from the same seed, as every other engine gets), the cohort
// query and the number of repetitions. This process runs every workload
// itself and times each operation with its own clock, so neither starting
// node nor any pipe round trip counts in DuckDB's figures. It writes the
// figures to stdout in cotrack_bench's child protocol, one line each:
//
//   metric <TAB> workload <TAB> field <TAB> number
//   check  <TAB> workload <TAB> text                 (import, export: rows=N)
//   qcheck <TAB> workload <TAB> rows <TAB> value sum  (point queries; the C++
//                                                      side formats the sum)
//   cohort <TAB> arm <TAB> timepoint <TAB> n <TAB> median
//   note   <TAB> - <TAB> - <TAB> text                 (shown under the table)
//   error  <TAB> - <TAB> - <TAB> message
//
// Progress goes to stderr. @duckdb/node-api is loaded from the directory
// named by "modules" in the workload (where `npm ci` installed it; see
// tools/bench/CMakeLists.txt, target cotrack_bench_duckdb).
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const w = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const duckdb = createRequire(path.join(w.modules, 'package.json'))('@duckdb/node-api');
const { DuckDBInstance, DuckDBDateValue } = duckdb;

const TAG = '[DuckDB] ';
function progress(text) { process.stderr.write(TAG + text + '\n'); }
function out(fields) { process.stdout.write(fields.join('\t') + '\n'); }
function metric(workload, field, v) { out(['metric', workload, field, String(v)]); }
function figures(workload, f) {
  metric(workload, 'throughput', f.throughput);
  metric(workload, 'p50_ns', f.p50);
  metric(workload, 'p99_ns', f.p99);
}
function nowNs() { return Number(process.hrtime.bigint()); }

// The same statistics as bench_util.cc: nearest-rank percentile, median
// with the mean of the two middle values.
function percentile(v, p) {
  if (v.length === 0) return 0;
  const s = Float64Array.from(v).sort();
  let rank = Math.ceil(p * s.length);
  if (rank > 0) --rank;
  if (rank >= s.length) rank = s.length - 1;
  return s[rank];
}
function median(v) {
  if (v.length === 0) return 0;
  const s = Float64Array.from(v).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function sqlString(s) { return "'" + String(s).replace(/'/g, "''") + "'"; }

// ------------------------------------------------------------------ schema --

const CODES = w.catalogCodes;  // the built-in catalog, sorted
// The range checks the other baselines make in C++ (tools/bench/csv_input.cc),
// as table constraints: DuckDB checks them vectorised on every insert, for
// the import and for visits recorded through the API alike.
const RANGE_CHECK = `
  CHECK (length(patient) BETWEEN 1 AND 128),
  CHECK (comparator = 0 OR measure = 'il4'),
  CHECK (CASE measure
           WHEN 'edss' THEN value = 0 OR (value BETWEEN 1 AND 10 AND value * 2 = floor(value * 2))
           WHEN 'ais' THEN value BETWEEN 0 AND 24 AND value = floor(value)
           WHEN 'fis' THEN value BETWEEN 0 AND 160 AND value = floor(value)
           WHEN 'hba1c' THEN value BETWEEN 2 AND 25
           ELSE value >= 0 END),
  CHECK (coalesce(unit, '') = CASE measure WHEN 'hba1c' THEN '%' WHEN 'il4' THEN 'pg/mL'
                                           ELSE '' END)`;

function schema(withKey) {
  return `
CREATE TYPE measure_code AS ENUM (${CODES.map(sqlString).join(', ')});
CREATE TABLE sources(id INTEGER NOT NULL, path VARCHAR NOT NULL);
INSERT INTO sources VALUES (1, 'api');
CREATE TABLE patients(
  patient VARCHAR NOT NULL${withKey ? ' PRIMARY KEY' : ''}, arm VARCHAR, index_date DATE,
  version INTEGER NOT NULL, recorded_at BIGINT NOT NULL, source_id INTEGER NOT NULL,
  line INTEGER);
CREATE TABLE obs(
  patient VARCHAR NOT NULL, measure measure_code NOT NULL, date DATE NOT NULL,
  value DOUBLE NOT NULL, comparator UTINYINT NOT NULL, unit VARCHAR, visit VARCHAR,
  version INTEGER NOT NULL, recorded_at BIGINT NOT NULL, source_id INTEGER NOT NULL,
  line INTEGER,${withKey ? '\n  PRIMARY KEY (patient, measure, date),' : ''}${RANGE_CHECK});`;
}

// One generated file as rows of the table. The line number is the row's
// position in the file (+1 for the header): read_csv keeps the file's order
// (preserve_insertion_order is on).
function observationsSelect(file, sourceId, now) {
  return `
SELECT patient, measure::measure_code AS measure, date,
       CAST(ltrim(value, '<>=') AS DOUBLE) AS value,
       CASE WHEN starts_with(value, '<=') THEN 2 WHEN starts_with(value, '<') THEN 1
            WHEN starts_with(value, '>=') THEN 3 WHEN starts_with(value, '>') THEN 4
            ELSE 0 END::UTINYINT AS comparator,
       unit, visit, 1 AS version, ${now} AS recorded_at, ${sourceId} AS source_id,
       (row_number() OVER () + 1)::INTEGER AS line
FROM read_csv(${sqlString(file)}, header = true, auto_detect = false,
              columns = {'patient': 'VARCHAR', 'measure': 'VARCHAR', 'date': 'DATE',
                         'value': 'VARCHAR', 'unit': 'VARCHAR', 'visit': 'VARCHAR'})
ORDER BY patient, measure, date`;
}

function patientsSelect(file, sourceId, now) {
  return `
SELECT patient, arm, index_date, 1 AS version, ${now} AS recorded_at, ${sourceId} AS source_id,
       (row_number() OVER () + 1)::INTEGER AS line
FROM read_csv(${sqlString(file)}, header = true, auto_detect = false,
              columns = {'patient': 'VARCHAR', 'arm': 'VARCHAR', 'index_date': 'DATE'})
ORDER BY patient`;
}

// With the primary key, an identity imported again is an update when its
// content differs (the SQLite baseline's upsert); without it, rows append.
const OBS_UPSERT = `
ON CONFLICT (patient, measure, date) DO UPDATE SET
  value = excluded.value, comparator = excluded.comparator, unit = excluded.unit,
  visit = excluded.visit, version = obs.version + 1, recorded_at = excluded.recorded_at,
  source_id = excluded.source_id, line = excluded.line
WHERE obs.value IS DISTINCT FROM excluded.value OR obs.comparator IS DISTINCT FROM excluded.comparator
   OR obs.unit IS DISTINCT FROM excluded.unit OR obs.visit IS DISTINCT FROM excluded.visit`;
const PATIENT_UPSERT = `
ON CONFLICT (patient) DO UPDATE SET
  arm = excluded.arm, index_date = excluded.index_date, version = patients.version + 1,
  recorded_at = excluded.recorded_at, source_id = excluded.source_id, line = excluded.line
WHERE patients.arm IS DISTINCT FROM excluded.arm
   OR patients.index_date IS DISTINCT FROM excluded.index_date`;

const COLUMNS = 'date, value, comparator, unit, visit, version, recorded_at, source_id, line';

// --------------------------------------------------------------- the store --

class Store {
  constructor() {
    this.dbPath = path.join(w.storeDir, 'bench.duckdb');
    this.instance = null;
    this.conn = null;
    this.nextSource = 2;
  }

  async open() {
    this.instance = await DuckDBInstance.create(this.dbPath, w.duckdbOptions || {});
    this.conn = await this.instance.connect();
  }

  async prepareQueries() {
    this.trajectory = await this.conn.prepare(
      `SELECT ${COLUMNS} FROM obs WHERE patient = $1 AND measure = $2 ORDER BY date`);
    this.latest = await this.conn.prepare(
      `SELECT ${COLUMNS} FROM obs WHERE patient = $1 AND measure = $2 AND date <= $3
       ORDER BY date DESC LIMIT 1`);
    // Every catalog measure of the patient on that day.
    this.visit = await this.conn.prepare(
      `SELECT ${COLUMNS} FROM obs WHERE patient = $1 AND date = $2 ORDER BY measure`);
  }

  close() {
    for (const s of [this.trajectory, this.latest, this.visit, this.insert]) {
      if (s) s.destroySync();
    }
    this.trajectory = this.latest = this.visit = this.insert = null;
    if (this.appender) this.appender.closeSync();
    this.appender = null;
    if (this.conn) this.conn.closeSync();
    if (this.instance) this.instance.closeSync();
    this.conn = this.instance = null;
  }

  async run(sql) { return this.conn.run(sql); }

  async create() {
    fs.mkdirSync(w.storeDir, { recursive: true });
    await this.open();
    await this.run(schema(w.key));
  }

  // One file, one transaction: all of it or none of it, durable at COMMIT
  // (DuckDB syncs its write-ahead log on commit).
  async importFile(file, patients) {
    const id = this.nextSource++;
    const now = Date.now() * 1000;
    await this.run('BEGIN');
    try {
      await this.run(`INSERT INTO sources VALUES (${id}, ${sqlString(file)})`);
      const select = patients ? patientsSelect(file, id, now) : observationsSelect(file, id, now);
      const upsert = w.key ? (patients ? PATIENT_UPSERT : OBS_UPSERT) : '';
      const r = await this.run(`INSERT INTO ${patients ? 'patients' : 'obs'} ${select} ${upsert}`);
      await this.run('COMMIT');
      return r.rowsChanged;
    } catch (e) {
      await this.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  // One visit, one atomic write. "appender": the Appender, flushed once per
  // visit (a flush is one transaction; the calls are synchronous, no
  // round trip to the worker pool). "insert": a prepared INSERT per measure
  // inside BEGIN ... COMMIT.
  async prepareIngest() {
    if (w.ingestMode === 'insert') {
      this.insert = await this.conn.prepare(
        `INSERT INTO obs VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, 1, 0)`);
    } else {
      this.appender = await this.conn.createAppender('obs');
    }
  }

  async recordVisit(v) {
    const now = Date.now() * 1000;
    const day = new DuckDBDateValue(v.day);
    if (this.appender) {
      const a = this.appender;
      for (const [measure, value, censored] of v.values) {
        a.appendVarchar(v.patient);
        a.appendVarchar(measure);
        a.appendDate(day);
        a.appendDouble(value);
        a.appendUTinyInt(censored ? 1 : 0);
        const unit = w.units[measure];
        if (unit) a.appendVarchar(unit); else a.appendNull();
        a.appendVarchar(v.label);
        a.appendInteger(1);
        a.appendBigInt(BigInt(now));
        a.appendInteger(1);
        a.appendInteger(0);
        a.endRow();
      }
      a.flushSync();
      return;
    }
    const st = this.insert;
    await this.run('BEGIN');
    try {
      for (const [measure, value, censored] of v.values) {
        st.bindVarchar(1, v.patient);
        st.bindVarchar(2, measure);
        st.bindDate(3, day);
        st.bindDouble(4, value);
        st.bindUTinyInt(5, censored ? 1 : 0);
        const unit = w.units[measure];
        if (unit) st.bindVarchar(6, unit); else st.bindNull(6);
        st.bindVarchar(7, v.label);
        st.bindBigInt(8, BigInt(now));
        await st.run();
      }
      await this.run('COMMIT');
    } catch (e) {
      await this.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  async finishIngest() {
    if (this.appender) this.appender.closeSync();
    this.appender = null;
    if (this.insert) this.insert.destroySync();
    this.insert = null;
  }

  // Rows of a point query, every field materialised (as the C++ baselines
  // copy every column into a row), summarised for the answer check. One
  // asynchronous call (the query runs on a worker thread); the materialised
  // result's chunks are then read synchronously (runAndReadAll() would
  // fetch them with further asynchronous calls, 0.3 ms more per query here).
  static async collect(st) {
    const result = await st.run();
    let rows = 0;
    let sum = 0;
    for (let c = 0; c < result.chunkCount; ++c) {
      for (const r of result.getChunk(c).getRows()) {
        sum += r[1];
        ++rows;
      }
    }
    return { rows, sum };
  }

  async queryTrajectory(k) {
    const st = this.trajectory;
    st.bindVarchar(1, k[0]);
    st.bindVarchar(2, k[1]);
    return Store.collect(st);
  }

  async queryLatest(k) {
    const st = this.latest;
    st.bindVarchar(1, k[0]);
    st.bindVarchar(2, k[1]);
    st.bindDate(3, new DuckDBDateValue(k[2]));
    return Store.collect(st);
  }

  async queryVisit(k) {
    const st = this.visit;
    st.bindVarchar(1, k[0]);
    st.bindDate(2, new DuckDBDateValue(k[1]));
    return Store.collect(st);
  }

  // Closest uncensored value to each timepoint (ties: the earlier date),
  // then n and median per (arm, timepoint): arg_min and median are
  // aggregates in DuckDB.
  async cohort(q) {
    const tps = q.offsets.map((off, k) => `(${k}, ${off})`).join(', ');
    const sql = `
WITH tp(k, off) AS (VALUES ${tps}),
picked AS (
  SELECT p.arm AS arm, tp.k AS k,
         arg_min(o.value, (abs(o.date - (p.index_date + tp.off)), o.date)) AS value
  FROM patients p CROSS JOIN tp
  JOIN obs o ON o.patient = p.patient
            AND o.date BETWEEN p.index_date + tp.off - ${q.window}
                           AND p.index_date + tp.off + ${q.window}
  WHERE o.measure = ${sqlString(q.measure)} AND o.comparator = 0
    AND p.arm IS NOT NULL AND p.index_date IS NOT NULL
  GROUP BY p.patient, p.arm, tp.k
)
SELECT arm, k, count(*) AS n, median(value) AS median
FROM picked GROUP BY arm, k ORDER BY arm, k`;
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRows().map((r) => ({ arm: r[0], k: r[1], n: Number(r[2]), median: r[3] }));
  }

  // Every current observation with all its fields as CSV text: DuckDB's own
  // CSV writer (COPY ... TO), into /dev/null.
  async exportAll() {
    const r = await this.run(`
COPY (SELECT o.patient, o.measure, o.date, o.value,
             CASE o.comparator WHEN 1 THEN '<' WHEN 2 THEN '<=' WHEN 3 THEN '>=' WHEN 4 THEN '>'
                               ELSE '' END AS comparator,
             o.unit, o.visit, o.version, o.recorded_at, s.path AS source, o.line
      FROM obs o JOIN sources s ON s.id = o.source_id)
TO '/dev/null' (FORMAT csv, HEADER false)`);
    return r.rowsChanged;
  }

  async compactAndReopen() {
    if (w.resort) {
      // Rewrites obs in key order, so that the visits recorded through the
      // API (appended at the end, in no order) are inside the zone maps
      // again.
      await this.run('BEGIN');
      await this.run('CREATE TEMP TABLE obs_sorted AS SELECT * FROM obs ORDER BY patient, measure, date');
      await this.run('DELETE FROM obs');
      await this.run('INSERT INTO obs SELECT * FROM obs_sorted');
      await this.run('DROP TABLE obs_sorted');
      await this.run('COMMIT');
    }
    await this.run('CHECKPOINT');
    this.close();
    await this.open();
    await this.prepareQueries();
  }

  bytesOnDisk() {
    let total = 0;
    for (const p of [this.dbPath, this.dbPath + '.wal']) {
      try { total += fs.statSync(p).size; } catch (e) { /* absent */ }
    }
    return total;
  }
}

// Runs op(key) for every key `reps` times after one warm-up pass over
// `warm`; throughput, p50 and p99 are medians over the repetitions.
async function timePointQueries(keys, warm, op) {
  for (const k of warm) await op(k);
  const thr = [], p50 = [], p99 = [];
  const lat = new Float64Array(keys.length);
  let check = null;
  for (let rep = 0; rep < w.reps; ++rep) {
    let rows = 0, sum = 0;
    const start = nowNs();
    for (let i = 0; i < keys.length; ++i) {
      const t0 = nowNs();
      const r = await op(keys[i]);
      lat[i] = nowNs() - t0;
      rows += r.rows;
      sum += r.sum;
    }
    const total = nowNs() - start;
    thr.push(keys.length * 1e9 / Math.max(total, 1));
    p50.push(percentile(lat, 0.5));
    p99.push(percentile(lat, 0.99));
    check = { rows, sum };
  }
  return { f: { throughput: median(thr), p50: median(p50), p99: median(p99) }, check };
}

function peakRssBytes() {
  const m = /VmHWM:\s*(\d+)\s*kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function main() {
  const store = new Store();
  await store.create();
  {
    const version = (await store.conn.runAndReadAll('SELECT version()')).getRows()[0][0];
    const api = JSON.parse(fs.readFileSync(
      path.join(w.modules, 'node_modules/@duckdb/node-api/package.json'), 'utf8')).version;
    const threads = (await store.conn.runAndReadAll(
      "SELECT current_setting('threads')")).getRows()[0][0];
    out(['note', '-', '-',
         `DuckDB ${version} through @duckdb/node-api ${api} on node ${process.version}, ` +
         `${threads} threads, file-backed database; primary key (ART index): ` +
         `${w.key ? 'yes' : 'no'}; API visits: ${w.ingestMode || 'appender'}; compaction: ` +
         `${w.resort ? 'table rewritten in key order, then ' : ''}CHECKPOINT.`]);
  }

  // Import: patients first, one transaction per file, then a CHECKPOINT
  // (counted in the throughput, not in any file's time).
  {
    const files = [...w.patientFiles.map((f) => [f, true]), ...w.observationFiles.map((f) => [f, false])];
    progress(`import of ${files.length} files`);
    const perFile = [];
    let rows = 0;
    const start = nowNs();
    for (const [f, patients] of files) {
      const t0 = nowNs();
      rows += await store.importFile(f, patients);
      perFile.push(nowNs() - t0);
    }
    const t0 = nowNs();
    await store.run('CHECKPOINT');
    const checkpoint = nowNs() - t0;
    const total = nowNs() - start;
    figures('import', { throughput: rows * 1e9 / total, p50: percentile(perFile, 0.5),
                        p99: percentile(perFile, 0.99) });
    metric('import', 'checkpoint_ns', checkpoint);
    out(['note', '-', '-', `the import's closing CHECKPOINT took ${(checkpoint / 1e6).toFixed(1)} ms ` +
         '(in its rows/s, in no file\'s time).']);
    out(['check', 'import', `rows=${rows}`]);
  }

  let ingested = 0;
  if (w.ingest) {
    progress(`API ingest of ${w.ingest.length} visits (${w.ingestMode || 'appender'})`);
    await store.prepareIngest();
    const lat = new Float64Array(w.ingest.length);
    const start = nowNs();
    for (let j = 0; j < w.ingest.length; ++j) {
      const t0 = nowNs();
      await store.recordVisit(w.ingest[j]);
      lat[j] = nowNs() - t0;
      ingested += w.ingest[j].values.length;
    }
    const total = nowNs() - start;
    await store.finishIngest();
    figures('ingest', { throughput: w.ingest.length * 1e9 / total, p50: percentile(lat, 0.5),
                        p99: percentile(lat, 0.99) });
  }

  progress(`compact and reopen${w.resort ? ' (table rewritten in key order)' : ''}`);
  await store.compactAndReopen();
  const bytes = store.bytesOnDisk();
  metric('disk', 'bytes_per_obs', bytes / (w.observations + ingested));
  metric('disk', 'bytes', bytes);

  progress('point queries');
  const point = [
    ['trajectory', (k) => store.queryTrajectory(k)],
    ['latest', (k) => store.queryLatest(k)],
    ['visit', (k) => store.queryVisit(k)],
  ];
  for (const [name, op] of point) {
    if (!w[name]) continue;
    const { f, check } = await timePointQueries(w[name].keys, w[name].warm, op);
    figures(name, f);
    out(['qcheck', name, String(check.rows), String(check.sum)]);
  }

  if (w.cohort) {
    progress('cohort summary');
    let cells = await store.cohort(w.cohort);  // warm-up
    const lat = [];
    for (let rep = 0; rep < w.reps; ++rep) {
      const t0 = nowNs();
      cells = await store.cohort(w.cohort);
      lat.push(nowNs() - t0);
    }
    for (const c of cells) out(['cohort', c.arm, String(c.k), String(c.n), String(c.median)]);
    const p50 = percentile(lat, 0.5);
    figures('cohort', { throughput: w.patients * 1e9 / p50, p50, p99: percentile(lat, 1.0) });
  }

  if (w.export) {
    progress('full export');
    const lat = [];
    let rows = 0;
    for (let rep = 0; rep < w.reps; ++rep) {
      const t0 = nowNs();
      rows = await store.exportAll();
      lat.push(nowNs() - t0);
    }
    out(['check', 'export', `rows=${rows}`]);
    const p50 = percentile(lat, 0.5);
    figures('export', { throughput: rows * 1e9 / p50, p50, p99: percentile(lat, 1.0) });
  }

  store.close();
  metric('rss', 'peak_bytes', peakRssBytes());
}

main().catch((e) => {
  out(['error', '-', '-', String(e && e.stack ? e.message : e).replace(/[\t\n]/g, ' ')]);
  process.exitCode = 1;
});
