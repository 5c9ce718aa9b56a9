import Crypto
import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import Logging
import NIOPosix
import SQLKit

// City Steward micro-benchmarks (release build; run through scripts/bench).
// Each row reports a rate and its ratio to a baseline measured in the same run on the same data.

struct Row {
    var name: String
    var rate: Double
    var unit: String
    var baseline: String
    var ratio: Double?
}


/// Runs `body` until at least `minimum` seconds have passed; returns operations per second (best of 3 rounds).
func measure(operations: Int, minimum: Double = 0.5, _ body: () -> Int) -> (rate: Double, checksum: Int) {
    var best = 0.0
    var checksum = 0
    for _ in 0..<3 {
        var done = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            checksum &+= body()
            done += operations
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minimum
        best = max(best, Double(done) / elapsed)
    }
    return (best, checksum)
}

/// The baseline: what a plain implementation does without an index — a bounding-box check and a
/// point-in-polygon test against every region, in code order.
func bruteForce(_ shapes: [AreaShape], _ boxes: [GeoBox], _ p: GeoPoint) -> Int {
    for i in shapes.indices where boxes[i].contains(p) && shapes[i].contains(p) { return i }
    return -1
}

func lookupRows(name: String, shapes: [AreaShape], points: [GeoPoint], baselinePoints: Int) -> [Row] {
    let buildStart = DispatchTime.now().uptimeNanoseconds
    let index = GridIndex(regions: shapes)
    let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - buildStart) / 1e9
    // Correctness before speed: the index answers what the scan answers.
    let boxes = shapes.map { $0.boundingBox! }
    for p in points.prefix(2000) where (index.firstRegion(containing: p) ?? -1) != bruteForce(shapes, boxes, p) {
        fatalError("index and scan disagree at \(p)")
    }
    let indexed = measure(operations: points.count) {
        var hits = 0
        for p in points where index.firstRegion(containing: p) != nil { hits += 1 }
        return hits
    }
    let sample = Array(points.prefix(baselinePoints))
    let scanned = measure(operations: sample.count) {
        var hits = 0
        for p in sample where bruteForce(shapes, boxes, p) >= 0 { hits += 1 }
        return hits
    }
    let hitRate = Double(points.filter { index.firstRegion(containing: $0) != nil }.count) / Double(points.count)
    return [
        Row(name: "\(name): indexed lookups (\(shapes.count) polygons, \(Int(hitRate * 100))% hits, index built in \(String(format: "%.1f", buildSeconds * 1000)) ms)",
            rate: indexed.rate, unit: "lookups/s", baseline: "linear scan, same points", ratio: indexed.rate / scanned.rate),
        Row(name: "\(name): linear scan (baseline)", rate: scanned.rate, unit: "lookups/s", baseline: "", ratio: nil),
    ]
}

var rng = SplitMix64(seed: 20261129)
var rows: [Row] = []

// 1. The demo district's grids, points spread over the pilot villages (with a margin, so some miss).
let demoGrids = DemoDistrict.areas.filter { $0.kind == .grid }.compactMap(\.shape)
let villageBoxes = DemoDistrict.areas.filter { $0.kind == .village }.compactMap { $0.shape?.boundingBox }
let demoPoints: [GeoPoint] = (0..<200_000).map { i in
    let box = villageBoxes[i % villageBoxes.count]
    let marginLat = (box.maxLat - box.minLat) * 0.1, marginLong = (box.maxLong - box.minLong) * 0.1
    return GeoPoint(lat: Double.random(in: (box.minLat - marginLat)...(box.maxLat + marginLat), using: &rng),
                    long: Double.random(in: (box.minLong - marginLong)...(box.maxLong + marginLong), using: &rng))
}
rows += lookupRows(name: "demo grids", shapes: demoGrids, points: demoPoints, baselinePoints: 20_000)

// 2. 10,000 synthetic polygons: a 100 × 100 lattice of ~100 m cells (as reference/perf-baseline.md §4, here in
//    Longhua), with every vertex jittered so the cells are irregular quadrilaterals that still tile exactly.
let origin = GeoPoint(lat: 22.60, long: 113.98)
let stepLat = 100.0 / 111_320.0, stepLong = 100.0 / (111_320.0 * cos(origin.lat * .pi / 180))
var corners = [[GeoPoint]](repeating: [], count: 101)
for r in 0...100 {
    for c in 0...100 {
        let jitter = (r == 0 || r == 100 || c == 0 || c == 100) ? 0.0 : 0.25
        corners[r].append(GeoPoint(lat: origin.lat + (Double(r) + Double.random(in: -jitter...jitter, using: &rng)) * stepLat,
                                   long: origin.long + (Double(c) + Double.random(in: -jitter...jitter, using: &rng)) * stepLong))
    }
}
var lattice: [AreaShape] = []
for r in 0..<100 {
    for c in 0..<100 {
        let ring = [corners[r][c], corners[r][c + 1], corners[r + 1][c + 1], corners[r + 1][c], corners[r][c]]
        lattice.append(AreaShape(polygons: [Polygon(outer: ring)]))
    }
}
let latticePoints: [GeoPoint] = (0..<1_000_000).map { _ in
    GeoPoint(lat: origin.lat + Double.random(in: 0..<100, using: &rng) * stepLat, long: origin.long + Double.random(in: 0..<100, using: &rng) * stepLong)
}
rows += lookupRows(name: "10,000 synthetic polygons", shapes: lattice, points: latticePoints, baselinePoints: 2_000)

// Reference from reference/perf-baseline.md §4 (PostGIS 3.3 on this machine kind, best plan): 607,000 points/s.
let postgisBest = 607_000.0
let best = rows[2].rate
rows.append(Row(name: "10,000 polygons vs PostGIS polygon-driven join (recorded, perf-baseline §4)", rate: best, unit: "lookups/s",
                baseline: "607,000 points/s", ratio: best / postgisBest))

// 3. Durable writes on the embedded SQLite file (WAL, synchronous=FULL: every commit is fsynced), 64 concurrent
//    writers: one transaction per write (the plain way) against GroupCommitter (one transaction per batch).
func writeRows(groupCommit: Bool, writes: Int, writers: Int) async throws -> (rate: Double, batches: Int) {
    let folder = NSTemporaryDirectory() + "citysteward-bench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
    try DatabaseSetup.register(.sqliteFile(path: folder + "/bench.sqlite"), on: databases)
    let logger: Logger = {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        return logger
    }()
    try await DatabaseSetup.prepareSQLite(databases, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
                                          synchronous: .full, inMemory: false)
    let db = databases.database(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
    let sql = db as! any SQLDatabase
    try await sql.raw("CREATE TABLE probe (id TEXT PRIMARY KEY, category TEXT, lat REAL, long REAL, description TEXT, created_at REAL)").run()
    let committer = GroupCommitter(db: db, maxBatch: 256)
    let start = DispatchTime.now().uptimeNanoseconds
    try await withThrowingTaskGroup(of: Void.self) { group in
        for w in 0..<writers {
            group.addTask {
                for i in stride(from: w, to: writes, by: writers) {
                    let insert: @Sendable (any Database) async throws -> Int = { tx in
                        try await (tx as! any SQLDatabase).insert(into: "probe")
                            .columns("id", "category", "lat", "long", "description", "created_at")
                            .values(SQLBind(UUID().uuidString), SQLBind("06010"), SQLBind(22.62 + Double(i) * 1e-7), SQLBind(114.03),
                                    SQLBind("松仔园村 网格 007 暴露垃圾 #\(i)"), SQLBind(Date().timeIntervalSince1970))
                            .run()
                        return i
                    }
                    if groupCommit {
                        _ = try await committer.submit(insert)
                    } else {
                        let local = MultiThreadedEventLoopGroup.singleton.any()
                        _ = try await insert(databases.database(logger: logger, on: local)!)
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let count = try await sql.raw("SELECT COUNT(*) AS n FROM probe").first()!.decode(column: "n", as: Int.self)
    precondition(count == writes, "lost writes")
    let batches = await committer.batchesCommitted
    await databases.shutdownAsync()
    return (Double(writes) / seconds, batches)
}

let plain = try await writeRows(groupCommit: false, writes: 4_000, writers: 64)
let grouped = try await writeRows(groupCommit: true, writes: 20_000, writers: 64)
rows.append(Row(name: "durable SQLite writes, 64 writers: one transaction each (baseline)", rate: plain.rate, unit: "rows/s", baseline: "", ratio: nil))
rows.append(Row(name: "durable SQLite writes, 64 writers: GroupCommitter (\(grouped.batches) commits for 20,000 rows)", rate: grouped.rate,
                unit: "rows/s", baseline: "one transaction per write", ratio: grouped.rate / plain.rate))


// 4. Device-event ingestion (issue 5 §6): parse NDJSON, validate, seal person and plate, store with idempotent
//    inserts, against a raw bulk insert of the same rows (already parsed and sealed) into the same table, on the
//    SQLite file (WAL, synchronous=NORMAL). Then the feed: read and desensitize pages of 1,000.
func ingestionRows(events: Int) async throws -> [Row] {
    let folder = NSTemporaryDirectory() + "citysteward-bench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
    try DatabaseSetup.register(.sqliteFile(path: folder + "/bench.sqlite"), on: databases)
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    try await DatabaseSetup.prepareSQLite(databases, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
                                          synchronous: .normal, inMemory: false)
    let db = databases.database(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
    for migration in CityStewardMigrations.all(calendar: WorkingCalendar(years: [])) { try await migration.prepare(on: db).get() }
    let sql = db as! any SQLDatabase
    let cipher = FieldCipher(ring: [("v1", SymmetricKey(size: .bits256))])
    let device = UUID()
    let areaPath = "/" + UUID().uuidString.lowercased() + "/"
    let now = Date()
    let stamp = ISO8601DateFormatter().string(from: now.addingTimeInterval(-60))
    // The same events twice over: as the NDJSON a gate sends, and as finished rows for the baseline.
    let batchSize = 10_000
    var batches: [Data] = []
    for b in 0..<(events / batchSize) {
        var text = ""
        for i in 0..<batchSize {
            let n = b * batchSize + i
            text += #"{"clientId":"e-\#(n)","device":"GATE-01","type":"gate","at":"\#(stamp)","direction":"in","method":"face","person":"P-\#(n % 5000)","plate":"粤B\#(String(format: "%05d", n % 100_000))"}"#
            text += "\n"
        }
        batches.append(Data(text.utf8))
    }
    let store = DeviceStore(db: db)
    func build(_ data: Data) throws -> [DeviceEventRow] {
        var rows: [DeviceEventRow] = []
        rows.reserveCapacity(batchSize)
        for item in try DeviceEventBatch.objects(data, ndjson: true) {
            guard case .success(let o) = item, case .success(let e) = DeviceEventBatch.event(o, now: now),
                  case .gate(let direction, let method, let person, let plate) = e.body else { fatalError("bad bench event") }
            rows.append(DeviceEventRow(deviceId: device, clientId: e.clientID, kind: "gate", at: e.at, receivedAt: now, areaPath: areaPath, streetId: nil,
                                       direction: direction.rawValue, method: method.rawValue, personSealed: try person.map(cipher.seal),
                                       plateSealed: try plate.map(cipher.seal), plateMasked: plate.map(Masking.plate)))
        }
        return rows
    }

    // Baselines: the same rows, prepared beforehand (parsed, sealed, numbered), bulk-inserted raw (one transaction
    // per 10,000, multi-row INSERTs of 400 with the values bound directly, the way ingestion writes them, minus all
    // that ingestion adds) into (a) a table of the same schema, indexes and constraints, the fair comparison, and
    // (b) a bare copy without any index, for reference. Batches of the baseline and of ingestion alternate, so both
    // meet the same file size, cache and WAL state.
    let ddl = try await sql.raw("SELECT sql FROM sqlite_master WHERE tbl_name = 'device_events' AND sql IS NOT NULL").all()
        .map { try $0.decode(column: "sql", as: String.self) }
    for statement in ddl {
        try await sql.raw(SQLQueryString(statement.replacingOccurrences(of: "\"device_events\"", with: "\"device_events_same\"")
            .replacingOccurrences(of: "device_events_at_idx", with: "device_events_same_at_idx")
            .replacingOccurrences(of: "uq:", with: "uq_same:"))).run()
    }
    try await sql.raw("CREATE TABLE device_events_bare AS SELECT * FROM device_events WHERE 0").run()
    var prepared: [DeviceEventRow] = []
    for data in batches { prepared += try build(data) }
    for i in prepared.indices { prepared[i].seq = Int64(i + 1) }
    func rawInsert(_ table: String, _ part: ArraySlice<DeviceEventRow>, codable: Bool = false) async throws -> UInt64 {
        let start = DispatchTime.now().uptimeNanoseconds
        try await db.transaction { tx in
            let t = tx as! any SQLDatabase
            for sub in stride(from: part.startIndex, to: part.endIndex, by: 400) {
                let rows = Array(part[sub..<min(part.endIndex, sub + 400)])
                if codable {
                    try await t.insert(into: table).models(rows, with: SQLQueryEncoder(nilEncodingStrategy: .asNil)).run()
                } else {
                    try await t.execute(sql: FastSQL.Insert(table: table, columns: DeviceStore.columns, rows: rows.map(DeviceStore.values))) { _ in }
                }
            }
        }
        return DispatchTime.now().uptimeNanoseconds - start
    }
    var ingestNanos: UInt64 = 0, buildNanos: UInt64 = 0, rawNanos: UInt64 = 0
    for (b, data) in batches.enumerated() {
        rawNanos += try await rawInsert("device_events_same", prepared[(b * batchSize)..<((b + 1) * batchSize)])
        let start = DispatchTime.now().uptimeNanoseconds
        let rows = try build(data)
        buildNanos += DispatchTime.now().uptimeNanoseconds - start
        _ = try await store.insert(rows)
        ingestNanos += DispatchTime.now().uptimeNanoseconds - start
    }
    let ingestSeconds = Double(ingestNanos) / 1e9, rawSeconds = Double(rawNanos) / 1e9
    let storedCount = try await store.count()
    precondition(storedCount == events, "lost events")
    let bareSeconds = Double(try await rawInsert("device_events_bare", prepared[...])) / 1e9
    try await sql.raw("DELETE FROM device_events_bare").run()
    let codableSeconds = Double(try await rawInsert("device_events_bare", prepared[...], codable: true)) / 1e9

    // The feed: pages of 1,000 read, opened and desensitized (pseudonyms, hour, masked plate).
    let consumer = try await ConsumerStore(db: db).create(code: "bench", name: "bench", userID: UUID(), areaIDs: [], kinds: ["gate"],
                                                          rules: .standard(consumer: "bench"), by: "bench", at: Date())
    _ = consumer
    let d = Desensitizer(rules: .standard(consumer: "bench"), pseudonymize: cipher.pseudonymizer(consumer: "bench"), gridCode: { _ in nil })
    let feedStart = DispatchTime.now().uptimeNanoseconds
    var cursor: Int64 = 0, read = 0, checksum = 0
    while true {
        let page = try await sql.select().column("*").from("device_events").where("seq", .greaterThan, cursor).orderBy("seq").limit(1000)
            .all(decoding: DeviceEventRow.self)
        guard let last = page.last else { break }
        for r in page {
            let person = try r.personSealed.map(cipher.open), plate = try r.plateSealed.map(cipher.open)
            checksum &+= (d.text(person, .personRef)?.count ?? 0) &+ (d.text(plate, .plate)?.count ?? 0) &+ (d.time(r.at) == nil ? 0 : 1)
        }
        read += page.count
        cursor = last.seq
    }
    let feedSeconds = Double(DispatchTime.now().uptimeNanoseconds - feedStart) / 1e9
    precondition(read == events && checksum > 0)
    await databases.shutdownAsync()
    let ingestRate = Double(events) / ingestSeconds, rawRate = Double(events) / rawSeconds, bareRate = Double(events) / bareSeconds
    return [
        Row(name: "raw bulk insert of the same event rows into a bare table (no index), for reference", rate: bareRate, unit: "rows/s", baseline: "", ratio: nil),
        Row(name: "the same into a bare table through SQLKit's Codable models(), for reference", rate: Double(events) / codableSeconds, unit: "rows/s", baseline: "", ratio: nil),
        Row(name: "raw bulk insert of the same event rows into the same schema and indexes (baseline)", rate: rawRate, unit: "rows/s", baseline: "", ratio: nil),
        Row(name: "device-event ingestion: NDJSON parse, validate, seal, idempotent insert (\(events / batchSize) batches of 10,000; "
                + "\(Int((Double(buildNanos) / Double(ingestNanos) * 100).rounded())) % of it parse, validate and seal)",
            rate: ingestRate, unit: "events/s", baseline: "raw bulk insert", ratio: ingestRate / rawRate),
        Row(name: "feed read: pages of 1,000, open, pseudonymize, generalize", rate: Double(read) / feedSeconds, unit: "events/s", baseline: "", ratio: nil),
    ]
}

rows += try await ingestionRows(events: 50_000)

func format(_ value: Double) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.maximumFractionDigits = 0
    return formatter.string(from: NSNumber(value: value)) ?? "\(Int(value))"
}

let json = CommandLine.arguments.contains("--json")
if json {
    let objects = rows.map { ["name": $0.name, "rate": $0.rate, "unit": $0.unit, "baseline": $0.baseline, "ratio": $0.ratio ?? 0] as [String: Any] }
    let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    print("| benchmark | rate | unit | baseline (same run) | ratio |")
    print("|---|---:|---|---|---:|")
    for row in rows {
        print("| \(row.name) | \(format(row.rate)) | \(row.unit) | \(row.baseline) | \(row.ratio.map { String(format: $0 < 10 ? "%.2f×" : "%.1f×", $0) } ?? "") |")
    }
}
