import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Audit log")
struct AuditStoreTests {
    @Test func theChainLinksEveryRowAndVerifies() async throws {
        try await withTestDatabase { db in
            let store = AuditStore(db: db)
            #expect(try await store.verify().rows == 0)
            var entries: [AuditEntry] = []
            for i in 0..<25 {
                entries.append(try await store.append(action: AuditAction.reveal.rawValue, subject: "resident:\(i)", detail: "field=phone",
                                                      actorID: UUID(), actorName: "街道工作人员 | \(i)", at: testStart))
            }
            #expect(entries.map(\.seq) == Array(1...25))
            #expect(entries[0].previousHash == AuditTrail.genesis)
            #expect(zip(entries.dropFirst(), entries).allSatisfy { $0.previousHash == $1.hash })
            let check = try await store.verify()
            #expect(check.rows == 25 && check.firstBroken == nil)
            let (page, total) = try await store.list(AuditStore.Filter(subject: "resident:3"))
            #expect(total == 1 && page.first?.seq == 4 && page.first == entries[3])
        }
    }

    @Test func concurrentWritersNeverForkTheChain() async throws {
        try await withTestDatabase { db in
            let store = AuditStore(db: db)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<16 {
                    group.addTask { _ = try await store.append(action: "login", subject: "user:\(i)", actorID: nil, actorName: "x", at: testStart) }
                }
                try await group.waitForAll()
            }
            let check = try await store.verify()
            #expect(check.rows == 16 && check.firstBroken == nil)
        }
    }

    @Test func theDatabaseRefusesChangesAndTheChainExposesATamper() async throws {
        try await withTestDatabase { db in
            let store = AuditStore(db: db)
            for i in 0..<5 { try await store.append(action: "feed.read", subject: "consumer:\(i)", actorID: nil, actorName: "平台", at: testStart) }
            let sql = db as! any SQLDatabase
            // Append-only in the database itself.
            await #expect(throws: (any Error).self) { try await sql.raw("UPDATE audit_log SET detail = 'x' WHERE seq = 2").run() }
            await #expect(throws: (any Error).self) { try await sql.raw("DELETE FROM audit_log WHERE seq = 2").run() }
            #expect(try await store.verify().firstBroken == nil)
            // Someone with the database's owner rights drops the guard and edits row 3: the chain names row 3.
            if sql.dialect.name == "sqlite" {
                try await sql.raw("DROP TRIGGER audit_log_no_update").run()
                try await sql.raw("DROP TRIGGER audit_log_no_delete").run()
            } else {
                try await sql.raw("DROP TRIGGER audit_log_no_change ON audit_log").run()
            }
            try await sql.raw("UPDATE audit_log SET subject = 'consumer:hidden' WHERE seq = 3").run()
            #expect(try await store.verify().firstBroken?.seq == 3)
            // Restored, then a row removed: the gap is named.
            try await sql.raw("UPDATE audit_log SET subject = 'consumer:2' WHERE seq = 3").run()
            #expect(try await store.verify().firstBroken == nil)
            try await sql.raw("DELETE FROM audit_log WHERE seq = 4").run()
            let broken = try #require(try await store.verify().firstBroken)
            #expect(broken.seq == 5 && broken.reason.en.contains("removed"))
        }
    }

    @Test func rowsCannotBeReorderedOrRehashedAlone() {
        let sha = AuditStore.sha256
        var rows: [AuditEntry] = []
        var previous = AuditTrail.genesis
        for i in 1...4 {
            var e = AuditEntry(seq: i, atMillis: 1_772_433_000_000 + Int64(i), actorID: nil, actorName: "a", action: "login", subject: "s\(i)",
                               detail: "", previousHash: previous, hash: "")
            e.hash = sha(previous + e.canonical)
            previous = e.hash
            rows.append(e)
        }
        #expect(AuditTrail.firstBroken(rows, sha256: sha) == nil)
        // A forger who recomputes the edited row's own hash still breaks the next link.
        var forged = rows
        forged[1].detail = "nothing to see"
        forged[1].hash = sha(forged[1].previousHash + forged[1].canonical)
        #expect(AuditTrail.firstBroken(forged, sha256: sha)?.seq == 3)
        // Field boundaries are part of the hash: moving text between fields changes it.
        var shifted = rows[0]
        shifted.actorName = "al"
        shifted.action = "ogin"
        #expect(shifted.canonical != rows[0].canonical)
        #expect(AuditTrail.firstBroken([rows[1], rows[0]], sha256: sha)?.seq == 2)
    }
}
