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
            let c = row.case
            // Level 1 reaches the place's dispatch centre (the steward holding the village, else the street office);
            // level 2 the street office.
            let centre = reference.dispatchCentre(village: c.place.villageID, street: c.place.streetID)
            let streetOffice = c.place.streetID.flatMap { reference.streetOffices[$0]?.id }
            let level = CaseWorkflow.escalationLevel(stepDue: c.workflow.stepDue, now: now, calendar: reference.calendar)
            let target = (level == 1 ? centre : streetOffice).flatMap { reference.orgs[$0] }
            guard let change = CaseWorkflow.escalate(c, now: now, calendar: reference.calendar, target: target) else { continue }
            if try await store.save(change, seq: try await store.nextEventSeq(of: c.id), expectedRevision: c.revision) != nil { escalated += 1 }
        }
        if escalated > 0 { app.caseCounts.changed() }
        // Meetings' action items are escalated like cases (催办, 督办), by the same lease holder.
        let actions = try await ActionItemSweeper.sweep(app, now: now)
        if actions > 0 { app.logger.notice("Escalated \(actions) meeting action item(s)") }
        try await JobLeases(db: db).recordRun(Self.jobName, at: now)
        // The same lease holder relays the outbox, so a notification is handed over by one instance only.
        try await OutboxRelay(store: store, notifier: app.staffNotifier).run(now: now)
        if escalated > 0 { app.logger.notice("Overdue sweep escalated \(escalated) case(s)") }
        return escalated
    }
}
