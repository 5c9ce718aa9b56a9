import CityStewardCore
import Foundation
import Testing

/// Coordination meetings: a plan and its minutes checked by field, action items due on working days and escalated
/// (reminded the working day before, supervised once overdue), and who convenes, sees and completes.
@Suite("Coordination: meetings and action items")
struct MeetingCoreTests {
    let district: Area = {
        let id = UUID()
        return Area(id: id, kind: .district, code: "440309", name: "龙华区", parentID: nil, streetID: nil, path: [id], shape: nil, centre: nil)
    }()
    let now = BeijingTime.parse("2026-11-18 10:00")!
    let steward = UUID(), office = UUID(), department = UUID()
    /// Weekends off; 2026-11-18 is a Wednesday.
    let calendar = WorkingCalendar(years: [])

    var districtArea: Area { district }

    @Test func agendaLinksAreCasesContractsVillagesOrAPlan() {
        #expect(AgendaLink.parse("LH-2026-000123") == AgendaLink(kind: .case, ref: "LH-2026-000123"))
        #expect(AgendaLink.parse(" HT-440309002-2026-001") == AgendaLink(kind: .contract, ref: "HT-440309002-2026-001"))
        #expect(AgendaLink.parse("440309002001V01") == AgendaLink(kind: .village, ref: "440309002001V01"))
        #expect(AgendaLink.parse("assessment:2026") == AgendaLink(kind: .assessment, ref: "2026"))
        #expect(AgendaLink.parse("something") == nil && AgendaLink.parse("assessment:26x") == nil)
    }

    @Test func aPlanIsCheckedByField() {
        let known: Set<UUID> = [steward, office]
        let ok = MeetingRules.validatePlan(kind: .districtMonthly, title: "十一月协调会", area: districtArea, heldAt: "2026-11-25 09:30", place: "区城管局三楼会议室",
                                           invited: [steward, office, steward], knownOrgs: known, agenda: [("松仔园停车", ["440309002001V01", "LH-2026-000001"])], now: now)
        guard case .success(let p) = ok else { Issue.record("\(ok)"); return }
        #expect(p.invited == [steward, office] && p.agenda[0].links.count == 2)
        let bad = MeetingRules.validatePlan(kind: .street, title: "会", area: districtArea, heldAt: "tomorrow", place: "", invited: [UUID()], knownOrgs: known,
                                            agenda: [("x", ["nonsense"])], now: now)
        if case .failure(let f) = bad {
            #expect(Set(f.problems.map(\.field)) == ["title", "area", "heldAt", "place", "invited", "agenda"])
        } else { Issue.record("bad plan") }
    }

    func meeting(held: String = "2026-11-18 09:00") -> Meeting {
        Meeting(id: UUID(), kind: .districtMonthly, title: "十一月协调会", areaID: district.id, convenedBy: office, heldAt: BeijingTime.parse(held)!, place: "会议室",
                invited: [steward, office], agenda: [], createdBy: nil, createdAt: now)
    }

    @Test func minutesComeAfterTheMeetingWithActionsDueOnWorkingDays() {
        let m = meeting()
        let ok = MeetingRules.validateMinutes(m, attended: [steward, office], decisions: ["村口划线", " "], minutes: "会议听取了松仔园村停车问题的汇报。",
                                              actions: [ActionInput(title: "村口划定临时停车位", owner: steward, dueDate: "2026-11-20"),
                                                        ActionInput(title: "", owner: nil, dueDate: "")], calendar: calendar, now: now)
        guard case .success(let v) = ok else { Issue.record("\(ok)"); return }
        #expect(v.decisions == ["村口划线"] && v.actions.count == 1 && v.actions[0].due == LocalDate(year: 2026, month: 11, day: 20))
        let weekend = MeetingRules.validateMinutes(m, attended: [UUID()], decisions: [], minutes: "短", actions: [ActionInput(title: "划线", owner: department, dueDate: "2026-11-21")],
                                                   calendar: calendar, now: now)
        if case .failure(let f) = weekend {
            #expect(f.problems.map(\.field) == ["attended", "minutes", "actions[0].title", "actions[0].owner", "actions[0].dueDate"])
            #expect(f.problems.last?.reason.zh.contains("工作日") == true, "a Saturday is no due date")
        } else { Issue.record("bad minutes") }
        if case .success = MeetingRules.validateMinutes(meeting(held: "2026-11-19 09:00"), attended: [office], decisions: [], minutes: "会议听取了汇报并议定事项。",
                                                        actions: [], calendar: calendar, now: now) { Issue.record("before the meeting") }
    }

    @Test func anOpenActionIsRemindedThenSupervised() {
        var item = ActionItem(id: UUID(), number: "DB-2026-0001", meetingID: UUID(), title: "划线", ownerOrg: steward, dueDate: LocalDate(year: 2026, month: 11, day: 23),
                              createdAt: now)
        // Due Monday the 23rd: the working day before is Friday the 20th.
        #expect(MeetingRules.escalation(item, today: LocalDate(year: 2026, month: 11, day: 19), calendar: calendar) == .none)
        #expect(MeetingRules.escalation(item, today: LocalDate(year: 2026, month: 11, day: 20), calendar: calendar) == .reminded)
        #expect(MeetingRules.escalation(item, today: LocalDate(year: 2026, month: 11, day: 23), calendar: calendar) == .reminded)
        #expect(MeetingRules.escalation(item, today: LocalDate(year: 2026, month: 11, day: 24), calendar: calendar) == .supervised)
        #expect(item.isOverdue(today: LocalDate(year: 2026, month: 11, day: 24)))
        item.doneAt = now
        #expect(MeetingRules.escalation(item, today: LocalDate(year: 2026, month: 12, day: 24), calendar: calendar) == .none && !item.isOverdue(today: LocalDate(year: 2026, month: 12, day: 24)))
        #expect(MeetingRules.validateDone(note: "") != nil && MeetingRules.validateDone(note: "已划线 12 个车位") == nil)
    }

    func actor(_ role: Role, org: UUID?, areas: [UUID] = []) -> Actor {
        Actor(user: User(id: UUID(), username: role.rawValue, displayName: role.rawValue, role: role, orgID: org, isActive: true),
              org: org.map { Org(id: $0, code: "O", name: "单位", nameEn: nil, kind: .steward) }, orgAreas: areas, keyScopes: nil)
    }

    @Test func whoConvenesSeesAndCompletes() {
        let street = UUID(), otherStreet = UUID()
        let m = meeting()
        let item = ActionItem(id: UUID(), number: "DB-2026-0001", meetingID: m.id, title: "划线", ownerOrg: steward, dueDate: LocalDate(year: 2026, month: 11, day: 20), createdAt: now)
        let admin = actor(.districtAdmin, org: office), officer = actor(.streetOfficer, org: UUID(), areas: [street])
        let owner = actor(.stewardDispatcher, org: steward), outsider = actor(.stewardDispatcher, org: UUID()), auditor = actor(.auditor, org: UUID(), areas: [district.id])
        let resident = actor(.resident, org: nil)
        #expect(CoordinationAccess.mayConvene(admin, kind: .districtMonthly, areaPath: [district.id]))
        #expect(CoordinationAccess.mayConvene(officer, kind: .street, areaPath: [district.id, street]))
        #expect(!CoordinationAccess.mayConvene(officer, kind: .street, areaPath: [district.id, otherStreet]) && !CoordinationAccess.mayConvene(officer, kind: .districtMonthly, areaPath: [district.id]))
        #expect(!CoordinationAccess.mayConveneAny(owner) && !CoordinationAccess.mayConveneAny(resident))
        #expect(CoordinationAccess.maySee(admin, m) && CoordinationAccess.maySee(owner, m) && CoordinationAccess.maySee(auditor, m))
        #expect(!CoordinationAccess.maySee(outsider, m) && !CoordinationAccess.maySee(officer, m) && !CoordinationAccess.maySee(resident, m), "not invited: not shown")
        #expect(CoordinationAccess.mayComplete(owner, item, meeting: m) && CoordinationAccess.mayComplete(admin, item, meeting: m))
        #expect(!CoordinationAccess.mayComplete(outsider, item, meeting: m) && !CoordinationAccess.mayComplete(auditor, item, meeting: m))
        #expect(CoordinationAccess.mayManage(admin, m) && !CoordinationAccess.mayManage(owner, m))
        #expect(CoordinationAccess.defaultKind(for: admin) == .districtMonthly && CoordinationAccess.defaultKind(for: officer) == .street)
    }
}
