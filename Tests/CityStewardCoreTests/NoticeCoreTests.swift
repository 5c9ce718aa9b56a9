import CityStewardCore
import Foundation
import Testing

/// Notices to residents: the draft's rules by field, when a notice is shown, and who publishes, withdraws and sees
/// them, as a table of role × action × scope.
@Suite("Notices: rules and access")
struct NoticeCoreTests {
    let district = UUID(), street = UUID(), otherStreet = UUID(), village = UUID(), otherVillage = UUID(), grid = UUID()
    let today = LocalDate(year: 2026, month: 12, day: 7)
    var kinds: [UUID: AreaKind] { [district: .district, street: .street, otherStreet: .street, village: .village, otherVillage: .village, grid: .grid] }
    var paths: [UUID: [UUID]] {
        [district: [district], street: [district, street], otherStreet: [district, otherStreet], village: [district, street, village],
         otherVillage: [district, otherStreet, otherVillage], grid: [district, street, village, grid]]
    }

    func draft(_ areas: [UUID], title: String = "停水通知", body: String = "周二上午停水。", kind: NoticeKind = .works,
               from: LocalDate? = nil, until: LocalDate? = nil) -> NoticeDraft {
        NoticeDraft(title: title, body: body, kind: kind, audience: .residents, areas: areas, shownFrom: from ?? today, shownUntil: until)
    }

    func fields(_ r: Result<NoticeDraft, FieldProblems>) -> [String] {
        if case .failure(let p) = r { return p.problems.map(\.field) }
        return []
    }

    @Test func aDraftIsCheckedByField() {
        let ok = NoticeRules.validate(draft([village, village, street], title: "  停水通知 "), areaKinds: kinds, today: today)
        guard case .success(let d) = ok else { Issue.record("\(ok)"); return }
        #expect(d.title == "停水通知" && d.areas == [village, street], "trimmed, areas once each")
        #expect(fields(NoticeRules.validate(draft([village], title: "停"), areaKinds: kinds, today: today)) == ["title"])
        #expect(fields(NoticeRules.validate(draft([village], body: "  "), areaKinds: kinds, today: today)) == ["body"])
        #expect(fields(NoticeRules.validate(draft([village], body: String(repeating: "字", count: 2_001)), areaKinds: kinds, today: today)) == ["body"])
        #expect(fields(NoticeRules.validate(draft([village], kind: .contract), areaKinds: kinds, today: today)) == ["kind"], "only the system writes a contract's")
        #expect(fields(NoticeRules.validate(draft([]), areaKinds: kinds, today: today)) == ["areas"])
        #expect(fields(NoticeRules.validate(draft([UUID()]), areaKinds: kinds, today: today)) == ["areas"], "an area that does not exist")
        #expect(fields(NoticeRules.validate(draft([grid]), areaKinds: kinds, today: today)) == ["areas"], "a grid is no place for a notice")
        #expect(fields(NoticeRules.validate(draft([village], from: today.adding(days: -1)), areaKinds: kinds, today: today)) == ["shownFrom"])
        #expect(fields(NoticeRules.validate(draft([village], from: today.adding(days: 400)), areaKinds: kinds, today: today)) == ["shownFrom"])
        #expect(fields(NoticeRules.validate(draft([village], from: today.adding(days: 3), until: today.adding(days: 2)), areaKinds: kinds, today: today)) == ["shownUntil"])
        #expect(fields(NoticeRules.validate(draft([village], until: today.adding(days: 800)), areaKinds: kinds, today: today)) == ["shownUntil"])
        // Every problem at once.
        #expect(fields(NoticeRules.validate(draft([], title: "", body: ""), areaKinds: kinds, today: today)) == ["title", "body", "areas"])
        #expect(NoticeRules.validateWithdrawal(reason: " ") != nil && NoticeRules.validateWithdrawal(reason: "已恢复供水") == nil)
    }

    @Test func aNoticeIsShownInItsPeriodUntilWithdrawn() {
        var n = Notice(id: UUID(), title: "t", body: "b", kind: .general, audience: .everyone, areas: [village], shownFrom: today.adding(days: 1),
                       shownUntil: today.adding(days: 3), orgID: nil, createdBy: nil, createdAt: Date(timeIntervalSince1970: 0))
        #expect(n.status(on: today) == .scheduled && !n.isShown(on: today))
        #expect(n.isShown(on: today.adding(days: 1)) && n.isShown(on: today.adding(days: 3)) && n.status(on: today.adding(days: 2)) == .shown)
        #expect(n.status(on: today.adding(days: 4)) == .ended && !n.isShown(on: today.adding(days: 4)))
        n.shownUntil = nil
        #expect(n.isShown(on: today.adding(days: 4_000)), "no last day: until withdrawn")
        n.withdrawnAt = Date(timeIntervalSince1970: 1)
        #expect(n.status(on: today.adding(days: 2)) == .withdrawn && !n.isShown(on: today.adding(days: 2)))
    }

    func actor(_ role: Role, keyScopes: Set<Permission>? = nil) -> (Actor, UUID?) {
        let org: UUID? = role == .resident ? nil : UUID()
        let areas: [UUID] = switch role {
        case .districtAdmin, .auditor: [district]
        case .streetOfficer: [street]
        case .stewardDispatcher, .stewardStaff: [village]
        case .departmentOfficer, .dataConsumer, .resident: []
        }
        let kind: OrgKind = switch role {
        case .districtAdmin, .auditor: .districtOffice
        case .streetOfficer: .streetOffice
        case .stewardDispatcher, .stewardStaff: .steward
        default: .department
        }
        let o = org.map { Org(id: $0, code: "O", name: "单位", nameEn: nil, kind: kind) }
        let user = User(id: UUID(), username: role.rawValue, displayName: role.rawValue, role: role, orgID: org, isActive: true)
        return (Actor(user: user, org: o, orgAreas: areas, keyScopes: keyScopes), org)
    }

    /// Who publishes where: the district office and departments anywhere, a street office in its street, a steward in
    /// its villages; nobody else — and a key without `cases:work` nowhere.
    @Test func whoPublishesWhere() {
        let p = paths
        let expected: [Role: (village: Bool, street: Bool, otherVillage: Bool, district: Bool)] = [
            .districtAdmin: (true, true, true, true), .departmentOfficer: (true, true, true, true),
            .streetOfficer: (true, true, false, false), .stewardDispatcher: (true, false, false, false),
            .stewardStaff: (false, false, false, false), .resident: (false, false, false, false),
            .dataConsumer: (false, false, false, false), .auditor: (false, false, false, false),
        ]
        #expect(Set(expected.keys) == Set(Role.allCases))
        for (role, e) in expected {
            let (a, _) = actor(role)
            #expect(NoticeAccess.mayPublish(a, over: [p[village]!]) == e.village, "\(role) in its village")
            #expect(NoticeAccess.mayPublish(a, over: [p[street]!]) == e.street, "\(role) over the street")
            #expect(NoticeAccess.mayPublish(a, over: [p[otherVillage]!]) == e.otherVillage, "\(role) in another street's village")
            #expect(NoticeAccess.mayPublish(a, over: [p[district]!]) == e.district, "\(role) district-wide")
            #expect(NoticeAccess.mayPublish(a, over: [p[village]!, p[otherVillage]!]) == (e.village && e.otherVillage), "\(role): every area must be its own")
            #expect(!NoticeAccess.mayPublish(a, over: []), "nowhere is not a place")
        }
        #expect(!NoticeAccess.mayPublish(actor(.districtAdmin, keyScopes: [.casesRead]).0, over: [p[village]!]), "a read-only key publishes nothing")
    }

    /// Withdrawing: the district office any notice; others their own organisation's within their scope; a contract's
    /// notice nobody by hand. Seeing in the console: publishers their scope and their own, auditors everything.
    @Test func whoWithdrawsAndWhoSees() {
        let p = paths
        func notice(org: UUID?, areas: [UUID], kind: NoticeKind = .general) -> Notice {
            Notice(id: UUID(), title: "t", body: "b", kind: kind, audience: .everyone, areas: areas, shownFrom: today, shownUntil: nil,
                   orgID: org, createdBy: nil, createdAt: Date(timeIntervalSince1970: 0))
        }
        for role in Role.allCases {
            let (a, org) = actor(role)
            let own = notice(org: org, areas: [village]), others = notice(org: UUID(), areas: [village]), far = notice(org: UUID(), areas: [otherVillage])
            let contract = notice(org: org, areas: [village], kind: .contract)
            let publishes = NoticeAccess.publishScope(for: a) != .nothing
            #expect(NoticeAccess.mayWithdraw(a, own, paths: [p[village]!]) == publishes, "\(role) its own")
            #expect(NoticeAccess.mayWithdraw(a, others, paths: [p[village]!]) == (role == .districtAdmin), "\(role) another's")
            #expect(!NoticeAccess.mayWithdraw(a, contract, paths: [p[village]!]), "\(role) a contract's")
            let sees: Bool = [.districtAdmin, .auditor, .departmentOfficer, .streetOfficer, .stewardDispatcher].contains(role)
            #expect(NoticeAccess.maySee(a, others, paths: [p[village]!]) == sees, "\(role) sees a notice in the village")
            let seesFar: Bool = [.districtAdmin, .auditor, .departmentOfficer].contains(role)
            #expect(NoticeAccess.maySee(a, far, paths: [p[otherVillage]!]) == seesFar, "\(role) sees one in another street")
        }
    }

    @Test func aContractsNoticeSaysWhoServesAndWhat() {
        let text = NoticeRules.contractNotice(title: "民治街道城中村服务合同", steward: "龙华城市管家", matters: ["环境卫生保洁", "公共设施维护"],
                                              start: LocalDate(year: 2026, month: 1, day: 1), end: LocalDate(year: 2028, month: 12, day: 31),
                                              told: PublicNotice(date: LocalDate(year: 2025, month: 12, day: 20), channel: "公告栏", text: "已在村公告栏张贴。"))
        #expect(text.title == "城市管家服务告知：民治街道城中村服务合同")
        #expect(text.body.contains("自 2026-01-01 起至 2028-12-31，龙华城市管家 为本村城市管家，受托承担：环境卫生保洁、公共设施维护。"))
        #expect(text.body.hasSuffix("已在村公告栏张贴。"))
    }
}
