import CityStewardCore
import Foundation
import Testing

/// `CaseWorkflow.apply`: what an action does to a whole case, beyond the state machine's move.
@Suite("Case changes")
struct CaseChangeTests {
    let calendar = WorkingCalendar(years: [HolidayYear(year: 2026, holidays: [], workdays: [])])
    // Wednesday 18 November 2026, 10:00 in Beijing.
    let now = Date(timeIntervalSince1970: 1_794_967_200)
    let steward = PartyRef(id: UUID(), name: "管家", kind: .steward)
    let streetOffice = Org(id: UUID(), code: "S", name: "民治街道办", nameEn: "Minzhi street office", kind: .streetOffice)
    let village = UUID(), street = UUID()

    func aCase(_ state: CaseState, reportedHoursAgo: Double = 2) -> Case {
        let reported = now.addingTimeInterval(-reportedHoursAgo * 3600)
        return Case(id: UUID(), number: "LH-2026-000007", category: .init(code: "06010", version: 1, name: "暴露垃圾", nameEn: "Exposed garbage"),
                    source: .patrol, description: "巷口垃圾", revision: 3, position: GeoPoint(lat: 22.62, long: 114.03),
                    place: .init(areaID: UUID(), areaPath: [street, village], areaName: "松仔园村网格 004", villageID: village, streetID: street, placeCode: nil),
                    responsible: steward, routing: .init(rule: .entrusted, explanation: LocalizedText(zh: "委托", en: "entrusted"), contractReference: "HT-1"),
                    ownerDepartmentID: nil, reporterID: UUID(), reporterName: "巡查员",
                    workflow: CaseSnapshot(state: state, urgency: .normal, reportedAt: reported, deadline: reported.addingTimeInterval(86_400), stepDue: nil),
                    duplicateOf: nil, mergedInto: nil, closedAt: nil, updatedAt: reported, idempotencyKey: nil)
    }

    let dispatcher = CaseActor(id: UUID(), name: "调度员", capacities: [.dispatcher, .approver, .verifier])

    @Test func aCorrectedClassReroutesAndRestartsTheDeadlineFromTheReport() throws {
        let c = aCase(.reported)
        let fences = CaseCategory(code: "08002", kind: .event, name: "施工占道", nameEn: "Construction occupying the road", majorCode: "08",
                                  majorName: "施工管理类", majorNameEn: "Construction", limits: [.normal: TimeLimit(amount: 2, unit: .workingDays)],
                                  beyondStewardAuthority: false, ownerDepartment: "LH-ZJJ", matter: "M-CON-01", group: .other, legacyCodes: [])
        let housing = PartyRef(id: UUID(), name: "区住房建设局", kind: .department)
        let routing = RoutingDecision(responsible: housing, rule: .ownerDepartment, explanation: LocalizedText(zh: "主管部门", en: "owner"), entrustment: nil)
        var request = CaseActionRequest(action: .file)
        request.refile = .init(category: fences, version: 4, ownerDepartmentID: housing.id, routing: routing)
        let change = try CaseWorkflow.apply(request, to: c, by: dispatcher, limit: TimeLimit(amount: 1, unit: .workingDays), dispatchCentre: nil,
                                            now: now, calendar: calendar)
        #expect(change.after.state == .filed && change.after.category.code == "08002" && change.after.category.version == 4)
        #expect(change.after.responsible == housing && change.after.routing.rule == .ownerDepartment && change.after.routing.contractReference == nil)
        #expect(change.after.workflow.deadline == TimeLimit(amount: 2, unit: .workingDays).deadline(from: c.workflow.reportedAt, on: calendar))
        #expect(change.event.detail["category"] == "06010→08002" && change.event.detail["deadline"] != nil)
        #expect(change.event.from == .reported && change.event.to == .filed && change.event.actorName == "调度员")
        #expect(change.after.revision == c.revision, "the store counts the revision when it saves")
    }

    @Test func handlingLeavesWhatTheClassAsksForOnRecord() throws {
        let c = aCase(.accepted)
        let handler = CaseActor(id: UUID(), name: "巡查员", capacities: [.handler])
        func refusal(_ request: CaseActionRequest, _ evidence: HandlingEvidence) -> DomainError? {
            do {
                _ = try CaseWorkflow.apply(request, to: c, by: handler, limit: nil, dispatchCentre: village, evidence: evidence, now: now, calendar: calendar)
                return nil
            } catch { return error }
        }
        // Neither: both fields named at once, one reason each, in the reader's language.
        let both = try #require(refusal(CaseActionRequest(action: .handle, note: "  "), .required))
        #expect(both == .unprocessable(field: "note,photo", LocalizedText(zh: "请填写处置说明（做了什么）；请上传处置后的照片", en: "say what was done; add a photo taken after handling")))
        #expect(both.messagesByField(.en).map(\.field) == ["note", "photo"])
        #expect(both.messagesByField(.zhHans).map(\.message) == ["请填写处置说明（做了什么）", "请上传处置后的照片"])
        // A photo of another role is not a photo after.
        #expect(refusal(CaseActionRequest(action: .handle, note: "已清理", photoRoles: [.evidence]), .required) ==
                .unprocessable(field: "photo", LocalizedText(zh: "请上传处置后的照片", en: "add a photo taken after handling")))
        #expect(refusal(CaseActionRequest(action: .handle, photoRoles: [.after]), .required)?.messagesByField(.en).map(\.field) == ["note"])
        let change = try CaseWorkflow.apply(CaseActionRequest(action: .handle, note: "已清理", photoRoles: [.after]), to: c, by: handler, limit: nil,
                                            dispatchCentre: village, evidence: .required, now: now, calendar: calendar)
        #expect(change.after.state == .handled && change.event.note == "已清理" && change.notices.map(\.orgID) == [village])
        // A class that asks only for the note.
        #expect(refusal(CaseActionRequest(action: .handle, note: "读数正常"), HandlingEvidence(note: true, afterPhoto: false)) == nil)
        #expect(refusal(CaseActionRequest(action: .handle), HandlingEvidence(note: true, afterPhoto: false))?.messagesByField(.en).map(\.field) == ["note"])
        // The rule is for handling only, and a handler who may not act hears that first.
        #expect(refusal(CaseActionRequest(action: .requestPostpone, note: "等材料", hours: 8), .required) == nil)
        let stranger = CaseActor(id: UUID(), name: "居民", capacities: [])
        var forbidden = false
        do {
            _ = try CaseWorkflow.apply(CaseActionRequest(action: .handle), to: c, by: stranger, limit: nil, dispatchCentre: nil, now: now, calendar: calendar)
        } catch {
            if case .forbidden = error { forbidden = true }
        }
        #expect(forbidden)
    }

    @Test func aShippedClassAsksForBothAndAStoredOneKeepsWhatItSaid() throws {
        let decoder = JSONDecoder()
        let old = try decoder.decode(CaseCategory.self, from: Data(#"{"code":"06010","kind":"event","name":"暴露垃圾"}"#.utf8))
        #expect(old.handlingEvidence == .required)
        var edited = old
        edited.handlingEvidence = HandlingEvidence(note: true, afterPhoto: false)
        let back = try decoder.decode(CaseCategory.self, from: try JSONEncoder().encode(edited))
        #expect(back.handlingEvidence == HandlingEvidence(note: true, afterPhoto: false))
    }

    @Test func aDispatchByHandNamesTheNewPartyAndWhy() throws {
        let c = aCase(.filed)
        var request = CaseActionRequest(action: .dispatch, dispatchTo: streetOffice)
        #expect(throws: DomainError.self) { try CaseWorkflow.apply(request, to: c, by: dispatcher, limit: nil, dispatchCentre: nil, now: now, calendar: calendar) }
        request.note = "涉及违建，需街道执法"
        let change = try CaseWorkflow.apply(request, to: c, by: dispatcher, limit: nil, dispatchCentre: nil, now: now, calendar: calendar)
        #expect(change.after.responsible.id == streetOffice.id && change.after.routing.rule == .manual)
        #expect(change.after.routing.explanation.zh.contains("调度员") && change.after.routing.explanation.zh.contains("涉及违建"))
        #expect(change.notices.map(\.orgID) == [streetOffice.id] && change.notices.first?.kind == "dispatched")
        // Not to a party committee; a returned case must go to someone else.
        let committee = Org(id: UUID(), code: "P", name: "党委", nameEn: nil, kind: .partyCommittee)
        #expect(throws: DomainError.self) {
            try CaseWorkflow.apply(CaseActionRequest(action: .dispatch, note: "x", dispatchTo: committee), to: c, by: dispatcher, limit: nil,
                                   dispatchCentre: nil, now: now, calendar: calendar)
        }
        #expect(throws: DomainError.self) {
            try CaseWorkflow.apply(CaseActionRequest(action: .dispatch), to: aCase(.returned), by: dispatcher, limit: nil, dispatchCentre: nil, now: now, calendar: calendar)
        }
        // To the routed party: the notice goes to it.
        let routed = try CaseWorkflow.apply(CaseActionRequest(action: .dispatch), to: c, by: dispatcher, limit: nil, dispatchCentre: nil, now: now, calendar: calendar)
        #expect(routed.after.responsible == steward && routed.notices.map(\.orgID) == [steward.id] && routed.event.detail.isEmpty)
    }

    @Test func aMergeNamesTheCaseItDuplicates() throws {
        let c = aCase(.reported), other = aCase(.filed)
        func refusedField(_ request: CaseActionRequest) -> String? {
            do {
                _ = try CaseWorkflow.apply(request, to: c, by: dispatcher, limit: nil, dispatchCentre: nil, now: now, calendar: calendar)
                return nil
            } catch {
                if case .unprocessable(let field, _) = error { return field }
                return "\(error)"
            }
        }
        #expect(refusedField(CaseActionRequest(action: .merge, note: "重复")) == "mergeInto", "none named")
        #expect(refusedField(CaseActionRequest(action: .merge, note: "重复", mergeInto: c)) == "mergeInto", "not into itself")
        var rejected = other
        rejected.workflow.state = .rejected
        #expect(refusedField(CaseActionRequest(action: .merge, note: "重复", mergeInto: rejected)) == "mergeInto", "not into a rejected case")
        let merged = try CaseWorkflow.apply(CaseActionRequest(action: .merge, note: "同一处垃圾", mergeInto: other), to: c, by: dispatcher, limit: nil, dispatchCentre: nil,
                                            now: now, calendar: calendar)
        #expect(merged.after.state == .rejected && merged.after.mergedInto == other.id && merged.event.detail["mergedInto"] == other.number)
    }

    @Test func handlingTellsTheDispatchCentreAndClosingStampsTheTime() throws {
        let centre = UUID()
        let handler = CaseActor(id: UUID(), name: "保洁员", capacities: [.handler])
        let handled = try CaseWorkflow.apply(CaseActionRequest(action: .handle, note: "已清扫", photoRoles: [.after]), to: aCase(.accepted), by: handler, limit: nil, dispatchCentre: centre,
                                             now: now, calendar: calendar)
        #expect(handled.after.state == .handled && handled.notices.map(\.orgID) == [centre] && handled.after.workflow.handledBy == handler.id)
        let closed = try CaseWorkflow.apply(CaseActionRequest(action: .close), to: aCase(.verified), by: dispatcher, limit: nil, dispatchCentre: centre,
                                            now: now, calendar: calendar)
        #expect(closed.after.closedAt == now && closed.after.updatedAt == now && closed.notices.isEmpty)
        // Not the handler's to close: forbidden, nothing changes.
        #expect(throws: DomainError.self) {
            try CaseWorkflow.apply(CaseActionRequest(action: .close), to: aCase(.verified), by: handler, limit: nil, dispatchCentre: nil, now: now, calendar: calendar)
        }
    }
}

@Suite("Case intake decision")
struct CaseIntakeOpenTests {
    let calendar = WorkingCalendar(years: [HolidayYear(year: 2026, holidays: [], workdays: [])])
    let now = Date(timeIntervalSince1970: 1_794_967_200)   // Wednesday 18 November 2026, 10:00 in Beijing
    let district = UUID(), street = UUID(), village = UUID(), grid = UUID()
    let steward = Org(id: UUID(), code: "G", name: "管家", nameEn: nil, kind: .steward)
    let garbage = CaseCategory(code: "06010", kind: .event, name: "暴露垃圾", nameEn: "Exposed garbage", majorCode: "06", majorName: "市容环境类",
                               majorNameEn: "Environment", limits: [.normal: TimeLimit(amount: 4, unit: .workingHours), .urgent: TimeLimit(amount: 2, unit: .workingHours)],
                               beyondStewardAuthority: false, ownerDepartment: nil, matter: "M-SAN-01", group: .garbage, legacyCodes: [])

    func located(duplicate: UUID? = nil) -> CaseIntake.Located {
        func area(_ id: UUID, _ kind: AreaKind, _ path: [UUID]) -> Area {
            Area(id: id, kind: kind, code: kind.rawValue, name: kind.rawValue, parentID: path.dropLast().last, streetID: street, path: path, shape: nil, centre: nil)
        }
        let path = [area(district, .district, [district]), area(street, .street, [district, street]), area(village, .village, [district, street, village]),
                    area(grid, .grid, [district, street, village, grid])]
        let routing = RoutingDecision(responsible: PartyRef(id: steward.id, name: steward.name, kind: .steward), rule: .entrusted,
                                      explanation: LocalizedText(zh: "委托", en: "entrusted"), entrustment: nil)
        return CaseIntake.Located(category: garbage, categoryVersion: 2, ownerDepartmentID: nil, area: path[3], path: path,
                                  position: GeoPoint(lat: 22.62, long: 114.03), routing: routing, dispatchCentre: steward.id, duplicateOf: duplicate)
    }

    func staff(_ role: Role) -> Actor {
        Actor(user: User(id: UUID(), username: "p", displayName: "巡查员", role: role, orgID: steward.id, isActive: true), org: steward, orgAreas: [village])
    }

    @Test func aReportBecomesARoutedCaseOnTheWorkingCalendar() throws {
        let dup = UUID()
        let report = CaseReport(category: "06010", position: GeoPoint(lat: 22.62, long: 114.03), placeCode: nil, description: " 巷口垃圾 ", urgency: "urgent")
        let new = try CaseIntake.open(report, id: UUID(), located: located(duplicate: dup), origin: .init(source: .patrol, reporter: staff(.stewardStaff), reporterName: nil),
                                      now: now, calendar: calendar)
        let c = new.opened
        #expect(c.state == .reported && c.urgency == .urgent && c.description == "巷口垃圾" && c.category.version == 2 && c.duplicateOf == dup)
        #expect(c.place.villageID == village && c.place.streetID == street && c.place.areaPath == [district, street, village, grid])
        #expect(c.responsible.id == steward.id && c.routing.rule == .entrusted && c.reporterName == "巡查员")
        #expect(c.workflow.deadline == TimeLimit(amount: 2, unit: .workingHours).deadline(from: now, on: calendar))
        #expect(c.workflow.stepDue == now.addingTimeInterval(10 * 60), "urgent: dispatched within 10 minutes")
        #expect(new.events.map(\.action) == ["report"] && new.events[0].detail == ["source": "patrol", "rule": "entrusted"])
        #expect(new.notices.map(\.orgID) == [steward.id] && new.notices[0].kind == "reported")
    }

    @Test func handlingOnTheSpotNeedsSomeoneWhoMayHandleAndBothPhotos() throws {
        let report = CaseReport(category: "06010", position: GeoPoint(lat: 22.62, long: 114.03), placeCode: nil, description: "已清理", urgency: nil)
        let patroller = staff(.stewardStaff)
        let before = CasePhoto(role: .before, hash: "b", publicHash: "pb", format: .jpeg, bytes: 10)
        let after = CasePhoto(role: .after, hash: "a", publicHash: "pa", format: .jpeg, bytes: 10)
        func origin(_ who: Actor?) -> CaseIntake.Origin {
            .init(source: .patrol, reporter: who, reporterName: nil, selfHandled: true, handledNote: "当场清走")
        }
        let new = try CaseIntake.open(report, id: UUID(), located: located(), origin: origin(patroller), photos: [before, after], now: now, calendar: calendar)
        #expect(new.opened.state == .handled && new.opened.workflow.handledBy == patroller.user.id)
        #expect(new.events.map(\.action) == ["report", "selfHandle"] && new.events[1].note == "当场清走")
        #expect(new.photos.map(\.eventSeq) == [1, 2], "the after photo belongs to the handling")
        func refusal(_ who: Actor?, _ photos: [CasePhoto]) -> String? {
            do {
                _ = try CaseIntake.open(report, id: UUID(), located: located(), origin: origin(who), photos: photos, now: now, calendar: calendar)
                return nil
            } catch {
                switch error {
                case .unprocessable(let field, _): return field
                case .forbidden: return "forbidden"
                default: return "\(error)"
                }
            }
        }
        #expect(refusal(patroller, [after]) == "photos", "a before photo too")
        #expect(refusal(nil, [before, after]) == "forbidden", "anonymous")
        let resident = Actor(user: User(id: UUID(), username: "r", displayName: "居民", role: .resident, orgID: nil, isActive: true), org: nil, orgAreas: [])
        #expect(refusal(resident, [before, after]) == "forbidden", "a resident does not handle cases")
        // A report without a description is not a case.
        #expect(throws: DomainError.self) {
            try CaseIntake.open(CaseReport(category: "06010", position: nil, placeCode: "X", description: " ", urgency: nil), id: UUID(), located: located(),
                                origin: .init(source: .patrol, reporter: patroller, reporterName: nil), now: now, calendar: calendar)
        }
    }
}
