import CityStewardStore
import CityStewardTestSupport
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Group commit")
struct GroupCommitterTests {
    struct Refused: Error, Equatable { var n: Int }

    @Test func concurrentWritesShareTransactionsAndFailuresStayAlone() async throws {
        try await withTestDatabase { db in
            let sql = try #require(db as? any SQLDatabase)
            try await sql.create(table: "gc_probe").column("n", type: .int, .primaryKey(autoIncrement: false)).column("label", type: .text).run()
            let committer = GroupCommitter(db: db, maxBatch: 32)
            let results = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
                for n in 0..<200 {
                    group.addTask {
                        do {
                            let value = try await committer.submit { tx -> Int in
                                let sql = tx as! any SQLDatabase
                                try await sql.insert(into: "gc_probe").columns("n", "label").values(SQLBind(n), SQLBind("row \(n)")).run()
                                if n % 7 == 0 { throw Refused(n: n) }   // after writing: the savepoint must undo it
                                return n * 10
                            }
                            return (n, .success(value))
                        } catch {
                            return (n, .failure(error))
                        }
                    }
                }
                var all: [(Int, Result<Int, any Error>)] = []
                for await r in group { all.append(r) }
                return all
            }
            #expect(results.count == 200)
            for (n, result) in results {
                switch result {
                case .success(let value): #expect(n % 7 != 0 && value == n * 10)
                case .failure(let error): #expect(n % 7 == 0 && (error as? Refused) == Refused(n: n))
                }
            }
            let stored = try await sql.raw("SELECT n FROM gc_probe ORDER BY n").all().map { try $0.decode(column: "n", as: Int.self) }
            #expect(stored == (0..<200).filter { $0 % 7 != 0 })
            let batches = await committer.batchesCommitted
            #expect(await committer.unitsCommitted == stored.count)
            #expect(batches < 200)                        // writes were grouped
            #expect(await committer.largestBatch <= 32)   // and batches respect the cap
            #expect(await committer.fallbackBatches >= 1)  // the failing units sent their batches down the savepoint path
            try await sql.drop(table: "gc_probe").run()
        }
    }

    @Test func aFailingStatementIsIsolatedByItsSavepoint() async throws {
        try await withTestDatabase { db in
            let committer = GroupCommitter(db: db)
            // A statement error that breaks the transaction itself is caught by its savepoint; the caller sees it.
            await #expect(throws: (any Error).self) {
                try await committer.submit { tx -> Int in
                    try await (tx as! any SQLDatabase).raw("INSERT INTO no_such_table VALUES (1)").run()
                    return 1
                }
            }
            // The committer keeps working afterwards, on the fast path.
            let value = try await committer.submit { _ in 42 }
            #expect(value == 42)
            #expect(await committer.fallbackBatches == 1)
        }
    }
}
