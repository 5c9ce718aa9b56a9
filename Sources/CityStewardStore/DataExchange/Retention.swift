import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// Retention of raw gate passes (issue 5 §5): passes older than the period are folded into hourly counts per device,
/// direction and method, and deleted, a batch per transaction (a count is never added without its rows going, nor
/// the other way round). AI events stay (they may be evidence of a case).
public enum GateRetention {
    public static func compact(_ db: any Database, before cutoff: Date, batch: Int = 5_000) async throws -> Int {
        var removed = 0
        while true {
            // Refused for another writer's lock (it read before writing): the batch rolled back; it runs again.
            let n: Int = try await LockContention.retrying { try await db.transaction { tx in
                let sql = tx as! any SQLDatabase
                let rows = try await sql.select().column("id").column("device_id").column("at").column("direction").column("method")
                    .from("device_events").where("kind", .equal, "gate").where("at", .lessThan, cutoff).limit(batch).all()
                guard !rows.isEmpty else { return 0 }
                var counts: [String: (device: UUID, hour: Date, direction: String, method: String, n: Int)] = [:]
                var ids: [UUID] = []
                for r in rows {
                    let id = try r.decode(column: "id", as: UUID.self), device = try r.decode(column: "device_id", as: UUID.self)
                    let at = try r.decode(column: "at", as: Date.self)
                    let direction = try r.decode(column: "direction", as: String?.self) ?? "", method = try r.decode(column: "method", as: String?.self) ?? ""
                    let hour = Date(timeIntervalSince1970: (at.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
                    let key = "\(device)|\(hour.timeIntervalSince1970)|\(direction)|\(method)"
                    counts[key, default: (device, hour, direction, method, 0)].n += 1
                    ids.append(id)
                }
                for c in counts.values {
                    try await sql.raw("""
                        INSERT INTO gate_counts (device_id, hour, direction, method, passes) VALUES (\(bind: c.device), \(bind: c.hour), \(bind: c.direction), \(bind: c.method), \(bind: c.n))
                        ON CONFLICT (device_id, hour, direction, method) DO UPDATE SET passes = gate_counts.passes + excluded.passes
                        """).run()
                }
                for chunk in stride(from: 0, to: ids.count, by: 500) {
                    try await sql.delete(from: "device_events").where("id", .in, Array(ids[chunk..<min(ids.count, chunk + 500)])).run()
                }
                return ids.count
            } }
            removed += n
            if n < batch { return removed }
        }
    }

    public static func totalPasses(_ db: any Database) async throws -> Int {
        // SUM of a bigint is numeric on PostgreSQL: cast back to a bigint.
        try await (db as! any SQLDatabase).raw("SELECT CAST(COALESCE(SUM(passes), 0) AS BIGINT) AS n FROM gate_counts").first()?
            .decode(column: "n", as: Int.self) ?? 0
    }
}
