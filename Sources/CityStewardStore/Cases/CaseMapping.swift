import CityStewardCore
import Foundation
import SQLKit

/// Core's `Case`, `CaseEvent` and `StaffNotice` to their rows and back: the only place that knows both.
extension CaseRow {
    public init(_ c: Case) {
        let w = c.workflow
        self.init(id: c.id, number: c.number, categoryCode: c.category.code, categoryVersion: c.category.version, categoryName: c.category.name,
                  categoryNameEn: c.category.nameEn, urgency: w.urgency.rawValue, source: c.source.rawValue, description: c.description,
                  state: w.state.rawValue, revision: c.revision, lat: c.position.lat, long: c.position.long, areaId: c.place.areaID,
                  areaPath: Area.encodePath(c.place.areaPath), areaName: c.place.areaName, villageId: c.place.villageID, streetId: c.place.streetID,
                  placeCode: c.place.placeCode, responsibleId: c.responsible.id, responsibleName: c.responsible.name,
                  responsibleKind: c.responsible.kind.rawValue, routingRule: c.routing.rule.rawValue, routingExplanationZh: c.routing.explanation.zh,
                  routingExplanationEn: c.routing.explanation.en, contractReference: c.routing.contractReference,
                  ownerDepartmentId: c.ownerDepartmentID, reporterId: c.reporterID, reporterName: c.reporterName, reportedAt: w.reportedAt,
                  deadline: w.deadline, stepDue: w.stepDue, pending: w.pending?.rawValue, pendingHours: w.pendingHours, suspendedAt: w.suspendedAt,
                  resumeState: w.resumeState?.rawValue, handledBy: w.handledBy, supervised: w.supervised, escalation: w.escalation,
                  duplicateOf: c.duplicateOf, mergedInto: c.mergedInto, closedAt: c.closedAt, updatedAt: c.updatedAt, idempotencyKey: c.idempotencyKey,
                  milestones: w.milestones)
    }

    /// The typed case. Values the code never writes read as the nearest safe one (an unknown source as `api`,
    /// an unknown kind of party as a department), so a hand-edited row cannot stop a page from opening.
    public var `case`: Case {
        Case(id: id, number: number, category: Case.Category(code: categoryCode, version: categoryVersion, name: categoryName, nameEn: categoryNameEn),
             source: CaseSource(rawValue: source) ?? .api, description: description, revision: revision, position: position,
             place: Case.Place(areaID: areaId, areaPath: Area.decodePath(areaPath), areaName: areaName, villageID: villageId, streetID: streetId,
                               placeCode: placeCode),
             responsible: PartyRef(id: responsibleId, name: responsibleName, kind: OrgKind(rawValue: responsibleKind) ?? .department),
             routing: Case.Routing(rule: RoutingRule(rawValue: routingRule) ?? .manual, explanation: routingExplanation, contractReference: contractReference),
             ownerDepartmentID: ownerDepartmentId, reporterID: reporterId, reporterName: reporterName, workflow: snapshot,
             duplicateOf: duplicateOf, mergedInto: mergedInto, closedAt: closedAt, updatedAt: updatedAt, idempotencyKey: idempotencyKey)
    }
}

extension CaseEventRow {
    public init(_ e: CaseEvent, caseID: UUID, seq: Int) {
        self.init(caseId: caseID, seq: seq, action: e.action, fromState: e.from?.rawValue, toState: e.to.rawValue, actorId: e.actorID,
                  actorName: e.actorName, at: e.at, note: e.note, lat: e.position?.lat, long: e.position?.long,
                  detail: e.detail.isEmpty ? nil : FlatJSON.object(e.detail))
    }
}

extension CasePhotoRow {
    public init(_ p: CasePhoto, caseID: UUID, eventSeq: Int, at: Date) {
        self.init(caseId: caseID, eventSeq: eventSeq, role: p.role.rawValue, hash: p.hash, publicHash: p.publicHash, format: p.format.rawValue,
                  bytes: p.bytes, createdAt: at)
    }
}

extension NotificationRow {
    public init(_ n: StaffNotice, caseID: UUID, at: Date) {
        self.init(orgId: n.orgID, caseId: caseID, kind: n.kind, text: n.text, createdAt: at)
    }
}

extension CaseStore {
    /// Saves a decided change if nobody changed the case since `expectedRevision`: the case as stored, or nil when
    /// someone did (nothing was written). The event is the case's `seq`-th; `also` runs in the same transaction.
    @discardableResult
    public func save(_ change: CaseChange, seq: Int, expectedRevision: Int,
                     also: (@Sendable (any SQLDatabase) async throws -> Void)? = nil) async throws -> CaseRow? {
        let id = change.after.id, at = change.event.at
        var row = CaseRow(change.after)
        guard try await update(row, expectedRevision: expectedRevision, event: CaseEventRow(change.event, caseID: id, seq: seq),
                               photos: change.photos.map { CasePhotoRow($0, caseID: id, eventSeq: seq, at: at) },
                               notifications: change.notices.map { NotificationRow($0, caseID: id, at: at) }, also: also) else { return nil }
        row.revision = expectedRevision + 1
        return row
    }
}

extension CaseStore.NewCase {
    /// The rows of a case the intake opened (`CaseIntake.open`), with its photos and a resident's follow-up.
    public init(_ new: CityStewardCore.NewCase, resident: ResidentTracking?) {
        let id = new.opened.id, at = new.opened.workflow.reportedAt
        self.init(row: CaseRow(new.opened), events: new.events.enumerated().map { CaseEventRow($0.element, caseID: id, seq: $0.offset + 1) },
                  photos: new.photos.map { CasePhotoRow($0.photo, caseID: id, eventSeq: $0.eventSeq, at: at) },
                  notifications: new.notices.map { NotificationRow($0, caseID: id, at: at) },
                  resident: resident.map { ResidentReportRow($0, caseID: id, at: at) })
    }

    /// A case with the history it already has (a measured year of synthetic cases): its events in order, each
    /// notice at the time of the step that sent it.
    public init(_ c: Case, history: [CaseEvent], notices: [(StaffNotice, Date)]) {
        let id = c.id
        self.init(row: CaseRow(c), events: history.enumerated().map { CaseEventRow($0.element, caseID: id, seq: $0.offset + 1) },
                  photos: [], notifications: notices.map { NotificationRow($0.0, caseID: id, at: $0.1) })
    }
}

extension ResidentReportRow {
    public init(_ t: ResidentTracking, caseID: UUID, at: Date) {
        self.init(caseId: caseID, trackingHash: Self.hash(token: t.token), phoneSealed: t.phone?.sealed, phoneIndex: t.phone?.index,
                  phoneMasked: t.phone?.masked, language: t.language.rawValue, createdAt: at)
    }
}
