import CityStewardCore
import Foundation
import Testing

/// Deliberation (议事协调): an item's steps from each state with their fields checked, a small livelihood project's
/// budget and cost, and who raises, runs and sees items as a role × action × scope table.
@Suite("Deliberation: steps and access")
struct DeliberationCoreTests {
    let district = UUID(), street = UUID(), otherStreet = UUID(), village = UUID(), otherVillage = UUID()
    let steward = UUID(), office = UUID()
    let now = BeijingTime.parse("2026-12-07 10:00")!

    func item(_ state: DeliberationState = .raised, micro: Bool = false, meetingAt: String? = nil) -> DeliberationItem {
        DeliberationItem(id: UUID(), number: "YS-2026-0001", title: "村口停车乱", description: "村口每天傍晚车辆乱停，消防通道被堵。", areaID: village,
                         source: .resident, state: state, microProject: micro, raisedBy: nil, createdAt: now, meetingAt: meetingAt.flatMap(BeijingTime.parse))
    }

    func fields(_ r: Result<DeliberationChange, FieldProblems>) -> [String] {
        if case .failure(let p) = r { return p.problems.map(\.field) }
        return []
    }

    @Test func raisingIsCheckedByField() {
        if case .failure = DeliberationRules.validateRaise(title: "村口停车乱", description: "傍晚车辆乱停，消防通道被堵。", source: .resident, microProject: false, budgetFen: nil, village: village) {
            Issue.record("a good item")
        }
        if case .failure(let p) = DeliberationRules.validateRaise(title: "停车", description: "短", source: .street, microProject: false, budgetFen: 100, village: nil) {
            #expect(p.problems.map(\.field) == ["title", "description", "area", "budget"])
        } else { Issue.record("bad") }
    }

    @Test func anItemMovesFromMeetingToDecisionToOutcome() {
        let carriers: Set<UUID> = [steward, office]
        // Decided before a meeting is set: refused as a step.
        #expect(fields(DeliberationRules.decide(item(), .decide(opinions: [], decision: "", carriedOutBy: nil, dueDate: "", budgetFen: nil), organisations: carriers, now: now)) == ["action"])
        let scheduled = DeliberationRules.decide(item(), .schedule(at: "2026-12-09 15:00", place: "社区党群服务中心", parties: ["社区党委", "城市管家", " "]), organisations: carriers, now: now)
        guard case .success(let s) = scheduled else { Issue.record("\(scheduled)"); return }
        #expect(s.item.state == .scheduled && s.item.parties == ["社区党委", "城市管家"] && s.item.meetingAt == BeijingTime.parse("2026-12-09 15:00"))
        #expect(fields(DeliberationRules.decide(item(), .schedule(at: "soon", place: "x", parties: ["一方"]), organisations: carriers, now: now)) == ["meetingAt", "meetingPlace", "parties"])
        // The decision: after the meeting, with opinions, a carrier among the village's and a due date.
        let decide = DeliberationAction.decide(opinions: [DeliberationOpinion(party: "社区党委", text: "同意划线"), DeliberationOpinion(party: "", text: "")],
                                               decision: "村口划定临时停车位，城市管家每晚巡查。", carriedOutBy: steward, dueDate: "2026-12-20", budgetFen: nil)
        #expect(fields(DeliberationRules.decide(s.item, decide, organisations: carriers, now: now)) == ["decision"], "the meeting has not been held yet")
        let later = BeijingTime.parse("2026-12-09 17:00")!
        guard case .success(let d) = DeliberationRules.decide(s.item, decide, organisations: carriers, now: later) else { Issue.record("decide"); return }
        #expect(d.item.state == .decided && d.item.opinions.count == 1 && d.item.dueDate == LocalDate(year: 2026, month: 12, day: 20))
        #expect(d.item.isOverdue(today: LocalDate(year: 2026, month: 12, day: 21)) && !d.item.isOverdue(today: LocalDate(year: 2026, month: 12, day: 20)))
        let bad = DeliberationAction.decide(opinions: [DeliberationOpinion(party: "社区党委", text: "")], decision: "划线", carriedOutBy: UUID(), dueDate: "2026-12-01", budgetFen: nil)
        #expect(fields(DeliberationRules.decide(s.item, bad, organisations: carriers, now: later)) == ["opinions", "decision", "carriedOutBy", "dueDate"])
        // Closed with an outcome; declined only before a decision.
        #expect(fields(DeliberationRules.decide(d.item, .close(outcome: "好", spentFen: nil), organisations: carriers, now: later)) == ["outcome"])
        guard case .success(let c) = DeliberationRules.decide(d.item, .close(outcome: "已划定 12 个临时车位，傍晚通道畅通。", spentFen: nil), organisations: carriers, now: later) else {
            Issue.record("close"); return
        }
        #expect(c.item.state == .closed && !c.item.isOverdue(today: LocalDate(year: 2027, month: 1, day: 1)))
        #expect(fields(DeliberationRules.decide(d.item, .decline(reason: "不属于本村事务"), organisations: carriers, now: later)) == ["action"])
        guard case .success(let x) = DeliberationRules.decide(item(), .decline(reason: "属于个人纠纷，已引导至人民调解"), organisations: carriers, now: now) else { Issue.record("decline"); return }
        #expect(x.item.state == .declined && x.item.state.isPublic && !DeliberationState.raised.isPublic)
    }

    @Test func aSmallLivelihoodProjectHasItsBudgetAndCost() {
        let carriers: Set<UUID> = [steward]
        let held = item(.scheduled, micro: true, meetingAt: "2026-12-01 10:00")
        let noBudget = DeliberationAction.decide(opinions: [DeliberationOpinion(party: "居民代表", text: "同意")], decision: "加装楼道照明", carriedOutBy: steward,
                                                 dueDate: "2026-12-31", budgetFen: nil)
        #expect(fields(DeliberationRules.decide(held, noBudget, organisations: carriers, now: now)) == ["budget"])
        let budgeted = DeliberationAction.decide(opinions: [DeliberationOpinion(party: "居民代表", text: "同意")], decision: "加装楼道照明", carriedOutBy: steward,
                                                 dueDate: "2026-12-31", budgetFen: 4_800_000)
        guard case .success(let d) = DeliberationRules.decide(held, budgeted, organisations: carriers, now: now) else { Issue.record("budget"); return }
        #expect(d.item.budgetFen == 4_800_000)
        #expect(fields(DeliberationRules.decide(d.item, .close(outcome: "已加装 36 盏声控灯，居民验收。", spentFen: nil), organisations: carriers, now: now)) == ["spent"])
        if case .success(let c) = DeliberationRules.decide(d.item, .close(outcome: "已加装 36 盏声控灯，居民验收。", spentFen: 4_560_000), organisations: carriers, now: now) {
            #expect(c.item.spentFen == 4_560_000)
        } else { Issue.record("close") }
    }

    func actor(_ role: Role) -> Actor {
        let areas: [UUID] = switch role {
        case .districtAdmin, .auditor: [district]
        case .streetOfficer: [street]
        case .stewardDispatcher, .stewardStaff: [village]
        default: []
        }
        let kind: OrgKind = switch role {
        case .districtAdmin, .auditor: .districtOffice
        case .streetOfficer: .streetOffice
        case .stewardDispatcher, .stewardStaff: .steward
        default: .department
        }
        let org: UUID? = role == .resident ? nil : UUID()
        return Actor(user: User(id: UUID(), username: role.rawValue, displayName: role.rawValue, role: role, orgID: org, isActive: true),
                     org: org.map { Org(id: $0, code: "O", name: "单位", nameEn: nil, kind: kind) }, orgAreas: areas, keyScopes: nil)
    }

    @Test func whoRaisesRunsAndSees() {
        let path = [district, street, village], far = [district, otherStreet, otherVillage]
        let expected: [Role: (raise: Bool, run: Bool, runFar: Bool, see: Bool, seeFar: Bool)] = [
            .districtAdmin: (true, true, true, true, true), .streetOfficer: (true, true, false, true, false),
            .stewardDispatcher: (true, false, false, true, false), .departmentOfficer: (true, false, false, true, true),
            .auditor: (false, false, false, true, true), .stewardStaff: (false, false, false, false, false),
            .resident: (false, false, false, false, false), .dataConsumer: (false, false, false, false, false),
        ]
        #expect(Set(expected.keys) == Set(Role.allCases))
        for (role, e) in expected {
            let a = actor(role)
            #expect(DeliberationAccess.mayRaise(a, villagePath: path) == e.raise, "\(role) raises")
            #expect(DeliberationAccess.mayRun(a, villagePath: path) == e.run, "\(role) runs in its village")
            #expect(DeliberationAccess.mayRun(a, villagePath: far) == e.runFar, "\(role) runs in another street")
            #expect(DeliberationAccess.maySee(a, item(), villagePath: path) == e.see, "\(role) sees")
            #expect(DeliberationAccess.maySee(a, item(), villagePath: far) == e.seeFar, "\(role) sees another street's")
        }
        #expect(DeliberationAccess.defaultSource(for: actor(.stewardDispatcher)) == .steward && DeliberationAccess.defaultSource(for: actor(.streetOfficer)) == .street)
        // The organisation carrying a decision out sees it wherever it is.
        var carried = item(.decided)
        let stewardActor = actor(.stewardDispatcher)
        carried.carriedOutBy = stewardActor.org?.id
        #expect(DeliberationAccess.maySee(stewardActor, carried, villagePath: far))
    }
}
