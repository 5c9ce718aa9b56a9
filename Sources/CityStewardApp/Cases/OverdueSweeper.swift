import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Marks cases whose current step is overdue and escalates them: first to the dispatch centre, then (after
/// `StepLimits.streetEscalationWorkingHours` more working hours) to the street office. Runs in whichever app
/// instance holds the `overdue-sweeper` lease row, so several instances never escalate twice.
struct OverdueSweeper {
    static let jobName = "overdue-sweeper"
    let app: Application
    let holder: String

    @discardableResult
    func sweep(now: Date, leaseSeconds: TimeInterval = 120) async throws -> Int {
        let db = app.db
        guard try await JobLeases(db: db).acquire(Self.jobName, holder: holder, ttl: leaseSeconds, now: now) else { return 0 }
        let reference = try await app.caseReference.get(db)
        let store = CaseStore(db: db)
        var escalated = 0
        for row in try await store.overdue(now: now, belowLevel: 2) {
            let level = CaseWorkflow.escalationLevel(stepDue: row.stepDue, now: now, calendar: reference.calendar)
            guard level > row.escalation else { continue }
            var next = row
            next.escalation = level
            next.updatedAt = now
            let target: UUID? = level == 1
                ? (row.villageId.flatMap { v in reference.entrustments.first { $0.areaID == v }?.steward.id } ?? row.streetId.flatMap { reference.streetOffices[$0]?.id })
                : row.streetId.flatMap { reference.streetOffices[$0]?.id }
            let who = target.flatMap { reference.orgs[$0] }
            let text = LocalizedText(
                zh: "超时\(level == 1 ? "提醒" : "升级")：\(row.number) \(row.categoryName)（\(row.areaName)）已超过时限，\(level == 1 ? "请调度处理" : "已升级至街道")",
                en: "Overdue\(level == 1 ? "" : ", escalated"): \(row.number) \(row.categoryNameEn) (\(row.areaName)) is past due\(level == 1 ? "" : "; now with the street office")")
            let seq = try await store.nextEventSeq(of: row.id)
            let event = CaseEventRow(caseId: row.id, seq: seq, action: "escalate", fromState: row.state, toState: row.state, actorId: nil,
                                     actorName: "系统（超时监控）", at: now, note: text.zh,
                                     detail: ReportCase.detail(["level": String(level), "to": who?.name ?? ""]))
            var notifications = [NotificationRow(orgId: target, caseId: row.id, kind: "overdue-\(level)", text: text, createdAt: now)]
            if level == 2, row.responsibleId != target {
                notifications.append(NotificationRow(orgId: row.responsibleId, caseId: row.id, kind: "overdue-\(level)", text: text, createdAt: now))
            }
            if try await store.update(next, expectedRevision: row.revision, event: event, notifications: notifications) { escalated += 1 }
        }
        try await JobLeases(db: db).recordRun(Self.jobName, at: now)
        // The same lease holder relays the outbox, so a notification is handed over by one instance only.
        try await OutboxRelay(store: store, notifier: app.staffNotifier).run(now: now)
        if escalated > 0 { app.logger.notice("Overdue sweep escalated \(escalated) case(s)") }
        return escalated
    }
}
