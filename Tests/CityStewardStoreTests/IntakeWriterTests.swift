import CityStewardCore
@testable import CityStewardStore
import CityStewardTestSupport
import FluentKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Testing

/// The intake's batch writers: rows bound without Codable must store what Codable stores, a batch commits whole
/// with consecutive numbers, and a failing report fails alone.
@Suite("Intake writer")
struct IntakeWriterTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000.123456)

    static func newCase(_ i: Int, idempotencyKey: String? = nil, full: Bool = false) -> CaseStore.NewCase {
        let id = UUID.timeOrdered(at: now)
        let row = CaseRow(
            id: id, number: "", categoryCode: "06010", categoryVersion: 1, categoryName: "暴露垃圾", categoryNameEn: "Exposed garbage",
            urgency: "normal", source: "api", description: "report \(i) \"quoted\"", state: "reported", revision: 1,
            lat: 22.6220 + Double(i) * 1e-6, long: 114.03, areaId: UUID.random(), areaPath: "a/b/c", areaName: "松仔园村",
            villageId: full ? UUID.random() : nil, streetId: UUID.random(), placeCode: full ? "P-1" : nil, responsibleId: UUID.random(),
            responsibleName: "Steward", responsibleKind: "steward", routingRule: "entrusted", routingExplanationZh: "因为", routingExplanationEn: "because",
            contractReference: full ? "HT-1" : nil, ownerDepartmentId: nil, reporterId: full ? UUID.random() : nil, reporterName: "巡查员",
            reportedAt: now, deadline: now.addingTimeInterval(86_400), stepDue: full ? now.addingTimeInterval(3_600) : nil,
            pending: nil, pendingHours: full ? 1.5 : nil, suspendedAt: nil, resumeState: nil, handledBy: nil, supervised: full, escalation: i % 3,
            duplicateOf: nil, mergedInto: nil, closedAt: nil, updatedAt: now, idempotencyKey: idempotencyKey)
        let event = CaseEventRow(caseId: id, seq: 1, action: "report", fromState: nil, toState: "reported", actorId: nil, actorName: "巡查员",
                                 at: now, note: "found", lat: 22.6, long: 114.0, detail: full ? "{\"a\":\"b\"}" : nil)
        let note = NotificationRow(orgId: UUID.random(), caseId: id, kind: "reported", text: LocalizedText(zh: "新案件", en: "New case"), createdAt: now)
        let photo = CasePhotoRow(caseId: id, eventSeq: 1, role: "report", hash: "h\(i)", publicHash: "p\(i)", format: "jpeg", bytes: 1234, createdAt: now)
        let resident = ResidentReportRow(caseId: id, trackingHash: "t\(i)", phoneSealed: full ? "sealed" : nil, phoneIndex: nil, phoneMasked: nil,
                                         language: "zh", createdAt: now)
        return .init(row: row, events: [event], photos: full ? [photo] : [], notifications: [note], resident: full ? resident : nil)
    }

    /// What SQLKit's Codable path binds for a row, as SQLite data.
    static func codable<T: Encodable>(_ row: T) throws -> (columns: [String], values: [SQLiteData]) {
        let encoded = try SQLQueryEncoder(nilEncodingStrategy: .asNil).encode(row)
        let encoder = SQLiteDataEncoder()
        return (encoded.map(\.0), try encoded.map { _, value in
            if let bind = value as? SQLBind { return try encoder.encode(bind.encodable) }
            return .null   // SQLLiteral.null for a nil
        })
    }

    static func expectSame<T: Encodable & DirectRow>(_ row: T) throws {
        let (columns, values) = try codable(row)
        #expect(T.columns == columns, "columns of \(T.self)")
        #expect(row.columnValues.map(\.sqlite) == values, "values of \(T.self)")
        #expect(row.columnValues.count == T.columns.count)
    }

    @Test func directRowsBindWhatCodableBinds() throws {
        for full in [false, true] {
            let new = Self.newCase(7, idempotencyKey: full ? "k" : nil, full: full)
            try Self.expectSame(new.row)
            try Self.expectSame(new.events[0])
            try Self.expectSame(new.notifications[0])
            try Self.expectSame(CheckinRow(id: UUID.random(), checkpointId: UUID.random(), routeId: UUID.random(), orgId: UUID.random(), areaPath: "/a/b/",
                                           taskId: full ? UUID.random() : nil, userId: UUID.random(), serverTime: Date(timeIntervalSince1970: 1_790_000_000.25),
                                           deviceTime: full ? Date(timeIntervalSince1970: 1_790_000_001) : nil, lat: full ? 22.6 : nil, long: full ? 114.0 : nil,
                                           accuracy: full ? 8 : nil, flags: full ? "outside_radius" : "", idempotencyKey: full ? "u:k" : nil, photo: full ? "h.jpg" : nil))
            if full {
                try Self.expectSame(new.photos[0])
                try Self.expectSame(new.resident!)
            }
        }
    }

    @Test func timeOrderedIdsSortByTimeAndTextMatchesFoundation() {
        let earlier = UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_790_000_000))
        let later = UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_790_000_000.002))
        #expect(earlier.text(uppercase: true) < later.text(uppercase: true))
        #expect(earlier.uuidString.dropFirst(14).first == "7")       // version 7
        #expect("89AB".contains(earlier.uuidString.dropFirst(19).first!))   // RFC 9562 variant
        for id in [earlier, later, UUID.random(), UUID()] {
            #expect(id.text(uppercase: true) == id.uuidString)
            #expect(id.text(uppercase: false) == id.uuidString.lowercased())
        }
    }

    /// Holds the first batch back a moment, so the other reports queue up behind it and go in full batches.
    struct SlowFirstBatch: BatchWriter {
        let inner: any BatchWriter
        let first = NIOLockedValueBox(true)

        func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
            try await inner.transaction(body)
        }

        func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) async throws -> [CaseRow] {
            if first.withLockedValue({ let was = $0; $0 = false; return was }) { try await Task.sleep(for: .milliseconds(300)) }
            return try await inner.insertCaseBatch(items)
        }

        var batchThread: (any IntakeBatchThread)? { inner.batchThread.map { SlowFirstThread(inner: $0, first: first) } }
    }

    /// The same on the writer's own thread (the SQLite writer's batches run there).
    struct SlowFirstThread: IntakeBatchThread {
        let inner: any IntakeBatchThread
        let first: NIOLockedValueBox<Bool>

        func run(_ work: @escaping @Sendable (Bool) -> Void) { inner.run(work) }

        func insertCaseBatch(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [CaseRow] {
            if first.withLockedValue({ let was = $0; $0 = false; return was }) { Thread.sleep(forTimeInterval: 0.3) }
            return try inner.insertCaseBatch(items)
        }

        func insertEach(_ items: [(new: CaseStore.NewCase, year: Int)]) throws -> [Result<CaseRow, any Error>] {
            try inner.insertEach(items)
        }

        func batchCommitted() { inner.batchCommitted() }

        func writeCheckins(_ items: [CheckinWrite]) throws -> [Bool] {
            if first.withLockedValue({ let was = $0; $0 = false; return was }) { Thread.sleep(forTimeInterval: 0.3) }
            return try inner.writeCheckins(items)
        }
    }

    /// 30 check-ins of one round at once through a check-in committer: written in batches, the two with the same key
    /// one stored and one refused alone, a task change over a row that is not there (someone else changed it) not
    /// saved, and every stored row as it was given.
    static func exerciseCheckins(_ writer: any BatchWriter, db: any Database) async throws {
        let slow = SlowFirstBatch(inner: writer)
        let committer = BatchCommitter<CheckinWrite, Bool>(writer: slow, maxBatch: 8, write: PatrolStore.write) { thread, items in try thread.writeCheckins(items) }
        let round = UUID.random(), now = Date(timeIntervalSince1970: 1_795_000_000.5)
        let day = LocalDate.beijing(now)
        let task = WorkTask(id: UUID.random(), planID: UUID.random(), planVersion: 1, orgID: UUID.random(), areaID: UUID.random(), kind: .patrol, name: "夜巡",
                            nominal: day, date: day, windowStart: now, windowEnd: now.addingTimeInterval(3600), assignee: nil, state: .scheduled)
        let gone = WorkTaskRow(task, areaPath: "/a/", at: now)
        var started = task
        started.state = .started
        var writes: [CheckinWrite] = []
        for i in 0..<30 {
            let key = i == 10 || i == 20 ? "u:same" : "u:\(i)"
            let row = CheckinRow(id: UUID.random(), checkpointId: UUID.random(), routeId: UUID.random(), orgId: UUID.random(), areaPath: "/a/b/", taskId: round,
                                 userId: UUID.random(), serverTime: now.addingTimeInterval(Double(i)), deviceTime: i % 2 == 0 ? now : nil, lat: 22.6, long: 114.0,
                                 accuracy: 5, flags: i % 3 == 0 ? "outsideRadius" : "", idempotencyKey: key, photo: nil)
            writes.append(CheckinWrite(row: row, task: i == 5 ? started : nil, was: i == 5 ? gone : nil))
        }
        let results = await withTaskGroup(of: (Int, Result<Bool, any Error>).self) { group in
            for (i, w) in writes.enumerated() {
                group.addTask {
                    do { return (i, .success(try await committer.submit(w))) } catch { return (i, .failure(error)) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var outcome: [Int: Bool] = [:]
        var failed: [Int] = []
        for (i, result) in results {
            switch result {
            case .success(let saved): outcome[i] = saved
            case .failure: failed.append(i)
            }
        }
        #expect(failed.count == 1 && [10, 20].contains(failed.first ?? -1), "\(failed)")
        #expect(outcome[5] == false)
        #expect(outcome.filter { $0.key != 5 }.allSatisfy { $0.value })
        #expect(committer.statistics.batches < 29)
        let stored = try await PatrolStore(db: db).checkins(task: round)
        #expect(stored.count == 29)
        for row in stored {
            let match = writes.first(where: { $0.row.id == row.id })
            var given = try #require(match?.row)
            #expect(abs(given.serverTime.timeIntervalSince(row.serverTime)) < 1e-5)
            given.serverTime = row.serverTime
            given.deviceTime = given.deviceTime == nil ? nil : row.deviceTime
            #expect(row == given)
        }
    }

    @Test func checkinsAreWrittenTogetherOnEitherWriter() async throws {
        try await withTestDatabase { db in try await Self.exerciseCheckins(PooledBatchWriter(db: db), db: db) }
        try await Self.withSQLiteFile { path, db in
            let writer = DedicatedSQLiteWriter(path: path, synchronous: .normal, logger: Logger(label: "test"), loop: MultiThreadedEventLoopGroup.singleton.next())
            do {
                try await Self.exerciseCheckins(writer, db: db)
            } catch {
                await writer.close()
                throw error
            }
            await writer.close()
        }
    }

    /// Runs 60 concurrent reports through a batcher on `writer`, two of them with the same idempotency key.
    static func exercise(_ writer: any BatchWriter, db: any Database) async throws {
        let batcher = CaseIntakeBatcher(writer: SlowFirstBatch(inner: writer), maxBatch: 16)
        let results = await withTaskGroup(of: (Int, Result<CaseRow, any Error>).self) { group in
            for i in 0..<60 {
                group.addTask {
                    let key: String? = i == 20 || i == 41 ? "same-key" : (i % 5 == 0 ? "key-\(i)" : nil)
                    do { return (i, .success(try await batcher.submit(Self.newCase(i, idempotencyKey: key, full: i % 2 == 0), year: 2026))) }
                    catch { return (i, .failure(error)) }
                }
            }
            var all: [(Int, Result<CaseRow, any Error>)] = []
            for await r in group { all.append(r) }
            return all
        }
        let saved = results.compactMap { try? $0.1.get() }
        #expect(saved.count == 59)   // one of the two with the same key was refused, alone
        #expect(results.filter { (try? $0.1.get()) == nil }.allSatisfy { $0.0 == 20 || $0.0 == 41 })
        let numbers = saved.map(\.number).sorted()
        #expect(Set(numbers).count == 59)
        #expect(numbers.allSatisfy { $0.hasPrefix("LH-2026-") })
        let store = CaseStore(db: db)
        for row in saved {
            var stored = try await store.find(row.id, scope: nil)
            // SQLite's driver reads dates back rounded to the microsecond.
            #expect(abs(stored.reportedAt.timeIntervalSince(row.reportedAt)) < 1e-5)
            stored.reportedAt = row.reportedAt; stored.updatedAt = row.updatedAt; stored.deadline = row.deadline; stored.stepDue = row.stepDue
            #expect(stored == row)
            let events = try await store.events(of: row.id)
            #expect(events.map(\.action) == ["report"])
            #expect(events.first?.detail == (row.supervised ? "{\"a\":\"b\"}" : nil))
            #expect(try await store.photos(of: row.id).count == (row.supervised ? 1 : 0))
        }
        let sql = try #require(db as? any SQLDatabase)
        func count(_ table: String) async throws -> Int {
            try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) ?? -1
        }
        #expect(try await count("cases") == 59)
        #expect(try await count("case_events") == 59)
        #expect(try await count("notifications") == 59)
        #expect(try await count("resident_reports") == saved.filter(\.supervised).count)
        #expect(batcher.statistics.fallbackBatches >= 1)   // the refused report's batch was rerun report by report
        #expect(batcher.statistics.batches < 59)   // reports were grouped
    }

    @Test func pooledWriterCommitsWholeBatchesAndRefusesOneReportAlone() async throws {
        try await withTestDatabase { db in try await Self.exercise(PooledBatchWriter(db: db), db: db) }
    }

    /// A migrated SQLite file in a directory of its own, removed afterwards.
    static func withSQLiteFile(_ body: (_ path: String, _ db: any Database) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("intake-writer-\(UUID.random())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("db.sqlite").path
        try await withTestDatabase(at: .sqliteFile(path: path)) { db in try await body(path, db) }
    }

    @Test func dedicatedSQLiteWriterCommitsWholeBatchesAndRefusesOneReportAlone() async throws {
        try await Self.withSQLiteFile { path, db in
            let writer = DedicatedSQLiteWriter(path: path, synchronous: .normal, logger: Logger(label: "test"),
                                               loop: MultiThreadedEventLoopGroup.singleton.next())
            #expect(writer.batchThread != nil)   // batches run on the writer's own thread
            do {
                try await Self.exercise(writer, db: db)
            } catch {
                await writer.close()
                throw error
            }
            await writer.close()
        }
    }

    /// Under steady batches the WAL must not grow without end: checkpoints run beside the writer, and from `restartAt`
    /// frames on the writer's own checkpoint lets the WAL start over (it may take a few batches when the other
    /// checkpoint is busy at that moment). Without that the WAL of these 300 batches of one report passes 6,000
    /// frames (26 MB measured).
    @Test func walStartsOverUnderSteadyBatches() async throws {
        try await Self.withSQLiteFile { path, db in
            let writer = DedicatedSQLiteWriter(path: path, synchronous: .normal, logger: Logger(label: "test"),
                                               loop: MultiThreadedEventLoopGroup.singleton.next(), checkpointEvery: 64, restartAt: 256)
            let batcher = CaseIntakeBatcher(writer: writer)
            do {
                for i in 0..<300 { _ = try await batcher.submit(Self.newCase(i), year: 2026) }
            } catch {
                await writer.close()
                throw error
            }
            let walBytes = (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            await writer.close()
            #expect(batcher.statistics.batches == 300)
            // 4,096-byte pages and a 24-byte header per frame. A commit of one report writes ~26 pages (the case, its
            // indexes in the queue's orders, its timeline, outbox and tally rows): the WAL starts over within a few
            // commits of 256 frames, far below the thousands it reaches without the restart.
            #expect(walBytes > 0 && walBytes < 2_048 * (4_096 + 24), "WAL of \(walBytes) bytes")
            let sql = try #require(db as? any SQLDatabase)
            #expect(try await sql.raw("SELECT COUNT(*) AS n FROM cases").first()?.decode(column: "n", as: Int.self) == 300)
        }
    }
}
