import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Folds raw gate passes older than `CITYSTEWARD_GATE_RETENTION_DAYS` into hourly counts and deletes them. Runs
/// with the overdue sweep, in whichever instance holds the `gate-retention` lease, so instances never compete.
struct GateRetentionJob {
    static let jobName = "gate-retention"
    let app: Application
    let holder: String

    @discardableResult
    func run(now: Date, leaseSeconds: TimeInterval = 600) async throws -> Int {
        let days = app.config.gateRetentionDays
        guard days > 0 else { return 0 }
        let leases = JobLeases(db: app.db)
        guard try await leases.acquire(Self.jobName, holder: holder, ttl: leaseSeconds, now: now) else { return 0 }
        let removed = try await GateRetention.compact(app.db, before: now.addingTimeInterval(-Double(days) * 86_400))
        try await leases.recordRun(Self.jobName, at: now)
        if removed > 0 {
            app.logger.notice("Gate retention: \(removed) raw passes older than \(days) days folded into hourly counts")
            try await AuditStore(db: app.db).append(action: AuditAction.retention.rawValue, subject: "device_events", detail: "gate passes removed=\(removed); days=\(days)",
                                                    actorID: nil, actorName: "系统（保留期）", at: now)
        }
        return removed
    }
}
