import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import SQLKit
import Vapor

/// One workflow action on one case, by one actor: the Core state machine decides, the store writes the new state
/// and the event row together only if nobody changed the case meanwhile (else 409 with the current state).
struct ActOnCase {
    struct Input: Sendable {
        var action: CaseAction
        var note: String?
        var hours: Double?
        /// `dispatch`: send to this org instead of the routed party.
        var responsibleID: UUID?
        /// `file`: the corrected category (re-routes and resets the deadline from the report time).
        var category: String?
        /// `merge`: the case this one duplicates (id or number).
        var mergeInto: String?
        var position: GeoPoint?
        var photos: [(data: Data, role: PhotoRole)] = []
        /// The revision the caller saw (optional; when given, a stale view is a 409 even if the action would fit).
        var expectedRevision: Int?
    }

    let app: Application
    let db: any Database

    init(request: Request) {
        app = request.application
        db = request.db
    }

    init(app: Application) {
        self.app = app
        db = app.db
    }

    /// Who acts: a signed-in user, or the resident who reported the case (holding its tracking link).
    enum Party {
        case staff(Actor)
        case reporter(ResidentReportRow)

        var actorID: UUID? {
            if case .staff(let a) = self { return a.user.id }
            return nil
        }

        var name: String {
            switch self {
            case .staff(let a): a.user.displayName
            case .reporter(let r): r.phoneMasked.map { "报告人 \($0)" } ?? "报告人"
            }
        }
    }

    func run(caseID: UUID, input: Input, actor: Actor, now: Date) async throws -> Case {
        try await run(caseID: caseID, input: input, party: .staff(actor), now: now)
    }

    /// The reporter's own action (reopening); the tracking link has already identified the case.
    func run(caseID: UUID, input: Input, reporter: ResidentReportRow, now: Date) async throws -> Case {
        try await run(caseID: caseID, input: input, party: .reporter(reporter), now: now)
    }

    /// Load → decide → save: the case and what the action names are looked up here, `CaseWorkflow.apply` decides,
    /// the store writes the change if nobody acted first.
    private func run(caseID: UUID, input: Input, party: Party, now: Date) async throws -> Case {
        let store = CaseStore(db: db)
        let reference = try await app.caseReference.get(db)
        let scope: CaseScope?
        let capacities: Set<CaseCapacity>
        let row: CaseRow
        switch party {
        case .staff(let actor):
            scope = CaseAccess.scope(for: actor)
            row = try await store.find(caseID, scope: scope)
            capacities = CaseAccess.capacities(of: actor, on: row.parties)
        case .reporter(let report):
            guard report.caseId == caseID else { throw CaseStore.notFound }
            scope = nil
            row = try await store.find(caseID, scope: nil)
            capacities = [.reporter]
        }
        let current = row.case
        if let expected = input.expectedRevision, expected != current.revision {
            throw CaseConflict(error: .conflict(LocalizedText(zh: "案件已被他人更新，请刷新后重试", en: "the case was changed by someone else; reload and retry")),
                               state: current.state, revision: current.revision)
        }
        var request = CaseActionRequest(action: input.action, note: input.note, hours: input.hours, position: input.position,
                                        photoRoles: input.photos.map(\.role))
        switch input.action {
        case .file:
            if let code = input.category, code != current.category.code {
                guard let category = reference.taxonomy.eventCategory(code) else {
                    throw DomainError.refused("category", zh: "没有类别代码 \(code)", en: "unknown category \(code)")
                }
                guard let area = reference.areas[current.place.areaID] else { throw CaseStore.notFound }
                request.refile = .init(category: category, version: reference.taxonomy.version(of: code),
                                       ownerDepartmentID: category.ownerDepartment.flatMap { reference.departments[$0]?.id },
                                       routing: reference.route(category, at: area, now: now))
            }
        case .dispatch:
            if let target = input.responsibleID {
                guard let org = reference.orgs[target] else {
                    throw DomainError.refused("responsible", zh: "没有可派遣的单位 \(target)", en: "no organisation \(target) to dispatch to")
                }
                request.dispatchTo = org
            }
        case .merge:
            if let target = input.mergeInto, !target.isEmpty {
                let into = if let id = UUID(uuidString: target) { try await store.find(id, scope: scope) } else { try await store.find(number: target, scope: scope) }
                request.mergeInto = into.case
            }
        default:
            break
        }
        var change: CaseChange
        do {
            change = try CaseWorkflow.apply(request, to: current, by: CaseActor(id: party.actorID, name: party.name, capacities: capacities),
                                            limit: reference.handlingLimit(for: current),
                                            dispatchCentre: reference.dispatchCentre(village: current.place.villageID, street: current.place.streetID),
                                            evidence: reference.taxonomy.eventCategory(current.category.code)?.handlingEvidence ?? .required,
                                            now: now, calendar: reference.calendar)
        } catch {
            if case .conflict = error { throw CaseConflict(error: error, state: current.state, revision: current.revision) }
            throw error
        }

        let prepared = try PreparedPhoto.prepare(input.photos, policy: .standard)
        change.photos = prepared.map(\.casePhoto)
        let seq = try await store.nextEventSeq(of: current.id)
        let created = prepared.isEmpty ? [] : try await app.photoStorage.write(prepared)
        // A 12345 ticket's case tells the hotline the steps it waits for, in the same transaction as the change.
        let hotline = try await hotlineMessage(for: current, after: change.after, input: input, now: now)
        let won: CaseRow?
        do {
            let id = current.id
            let reopen = input.action == .reopen
            let also: (@Sendable (any SQLDatabase) async throws -> Void)? = reopen || hotline != nil ? { @Sendable sql in
                if reopen { try await ResidentReportStore.countReopen(caseID: id, on: sql) }
                if let hotline { try await HotlineStore.enqueue(hotline.0, ticket: hotline.1, at: now, on: sql) }
            } : nil
            won = try await store.save(change, seq: seq, expectedRevision: current.revision, also: also)
        } catch {
            await app.photoStorage.remove(created)
            throw error
        }
        guard won != nil else {
            await app.photoStorage.remove(created)
            let latest = try await store.find(current.id, scope: nil)
            throw CaseConflict(error: .conflict(LocalizedText(
                zh: "案件刚被他人处理，当前为“\(latest.caseState.label.zh)”", en: "someone acted on the case first; it is now \(latest.caseState.label.en.lowercased())")),
                state: latest.caseState, revision: latest.revision)
        }
        app.caseCounts.changed()
        var saved = change.after
        saved.revision = current.revision + 1
        return saved
    }

    /// The hotline's step for this change (`HotlineBridge.step`), with what it says: the handling note, the checked
    /// result as the reply to the caller, the reason of a return.
    private func hotlineMessage(for current: Case, after: Case, input: Input, now: Date) async throws -> (HotlineMessage, HotlineTicketRow)? {
        guard current.source == .hotline, let step = HotlineBridge.step(after: input.action, to: after.state),
              let ticket = try await HotlineStore(db: db).ticket(caseID: current.id) else { return nil }
        var text = input.note
        if step == .replied || step == .closed {
            // The answer for the caller is what was done, as handled (and checked); the verifier's remark follows.
            let handled = try await CaseStore(db: db).events(of: current.id).last { $0.action == CaseAction.handle.rawValue || $0.action == CaseAction.selfHandle.rawValue }?.note
            text = [handled, input.note].compactMap { $0?.trimmedWhitespace.isEmpty == false ? $0 : nil }.joined(separator: "\n")
        }
        let message = HotlineMessage(ticketNumber: ticket.ticketNumber, step: step, at: now, caseNumber: current.number,
                                     caseState: after.state.rawValue, text: text?.isEmpty == true ? nil : text)
        return (message, ticket)
    }
}
