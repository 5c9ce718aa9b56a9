import CityStewardCore
import Foundation
import Testing

/// Every role and scope rule outside the case capacities, as tables: role × action × scope → allowed. A row per
/// rule the code must keep, including the holes an attacker found (issue 14 §3).
@Suite("Access tables")
struct AccessTableTests {
    // One district: two streets, a village in the first, the steward serving that village, a department.
    let district = UUID(), street = UUID(), otherStreet = UUID(), village = UUID(), grid = UUID()
    let districtOffice = Org(id: UUID(), code: "D", name: "区专项办", nameEn: nil, kind: .districtOffice)
    let streetOffice = Org(id: UUID(), code: "S", name: "街道办", nameEn: nil, kind: .streetOffice)
    let steward = Org(id: UUID(), code: "G", name: "管家", nameEn: nil, kind: .steward)
    let department = Org(id: UUID(), code: "LH-ZJJ", name: "住建局", nameEn: nil, kind: .department)

    func actor(_ role: Role, keyScopes: Set<Permission>? = nil) -> Actor {
        let (org, areas): (Org?, [UUID]) = switch role {
        case .districtAdmin, .auditor: (districtOffice, [district])
        case .streetOfficer: (streetOffice, [street])
        case .stewardDispatcher, .stewardStaff: (steward, [village])
        case .departmentOfficer, .dataConsumer: (department, [])
        case .resident: (nil, [])
        }
        return Actor(user: User(id: UUID(), username: role.rawValue.lowercased(), displayName: role.rawValue, role: role, orgID: org?.id, isActive: true),
                     org: org, orgAreas: areas, keyScopes: keyScopes)
    }

    /// Roles in the order of `Role.allCases`, for reading the tables below.
    static let roles: [Role] = [.districtAdmin, .streetOfficer, .departmentOfficer, .stewardDispatcher, .stewardStaff, .resident, .dataConsumer, .auditor]

    func table(_ expected: [Role: Bool], _ rule: (Actor) -> Bool, _ what: String) {
        #expect(Set(expected.keys) == Set(Role.allCases), "\(what): every role has a row")
        for role in Role.allCases {
            #expect(rule(actor(role)) == expected[role], "\(what) for \(role.rawValue)")
        }
    }

    @Test func thePatrolFormAndWhereTheConsoleStarts() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: false], CaseAccess.mayPatrol, "report from patrol")
        #expect(!CaseAccess.mayPatrol(actor(.stewardStaff, keyScopes: [.casesReport])))   // a key reports through the API
        table([.districtAdmin: false, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: false], CaseAccess.startsOnTasks, "start on the task list")
    }

    @Test func administeringTheDirectory() {
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { DirectoryAccess.may($0, .manageDirectory) }, "organisations and accounts")
        // Everyone signed in keeps their own keys; a key never mints one, not even the administrator's.
        table(Dictionary(uniqueKeysWithValues: Role.allCases.map { ($0, true) }), { DirectoryAccess.may($0, .manageOwnKeys) }, "own API keys")
        #expect(!DirectoryAccess.may(actor(.districtAdmin, keyScopes: Set(Permission.allCases)), .manageOwnKeys))
        #expect(!DirectoryAccess.may(actor(.districtAdmin, keyScopes: [.areasRead]), .manageDirectory))
        let admin = actor(.districtAdmin)
        #expect(DirectoryAccess.selfChangeRefusal(actor: admin, target: admin.user, newRole: nil, active: false) != nil)
        #expect(DirectoryAccess.selfChangeRefusal(actor: admin, target: admin.user, newRole: .auditor, active: nil) != nil)
        #expect(DirectoryAccess.selfChangeRefusal(actor: admin, target: admin.user, newRole: .districtAdmin, active: true) == nil)
        #expect(DirectoryAccess.selfChangeRefusal(actor: admin, target: actor(.streetOfficer).user, newRole: .resident, active: false) == nil)
    }

    @Test func listingCases() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: true,
               .resident: true, .dataConsumer: false, .auditor: true], CaseAccess.mayList, "list cases (signed in)")
        // A key narrowed to cases:report lists nothing and opens nothing, whoever it belongs to.
        for role in [Role.stewardStaff, .stewardDispatcher, .districtAdmin, .resident] {
            let key = actor(role, keyScopes: [.casesReport])
            #expect(!CaseAccess.mayList(key) && CaseAccess.scope(for: key) == .nothing, "report-only key of \(role.rawValue)")
        }
        // A key that also reads lists what its user may.
        #expect(CaseAccess.mayList(actor(.stewardStaff, keyScopes: [.casesReport, .casesRead])))
        // A resident signed in sees its own reports.
        let resident = actor(.resident)
        #expect(CaseAccess.scope(for: resident) == .limited(areas: [], orgs: [], departments: [], reporter: resident.user.id))
    }

    @Test func reportSources() {
        let expected: [Role: [CaseSource]] = [
            .districtAdmin: [.patrol, .api, .hotline], .streetOfficer: [.patrol, .api, .hotline], .departmentOfficer: [.patrol, .api, .hotline],
            .stewardDispatcher: [.patrol, .api, .hotline], .stewardStaff: [.patrol, .api, .hotline],
            .resident: [.resident], .dataConsumer: [], .auditor: [],
        ]
        for role in Role.allCases {
            #expect(CaseAccess.sources(for: actor(role)) == expected[role], "sources of \(role.rawValue)")
            // Nobody claims a device alert through the case API, and only residents report as residents.
            #expect(!CaseAccess.sources(for: actor(role)).contains(.device))
            #expect(CaseAccess.sources(for: actor(role)).contains(.resident) == (role == .resident))
        }
        // A partner system's key defaults to `api`.
        #expect(CaseAccess.sources(for: actor(.stewardStaff, keyScopes: [.casesReport])).first == .api)
    }

    @Test func deviceAlerts() {
        let inVillage = [district, street, village, grid], elsewhere = [district, otherStreet]
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: false], { CaseAccess.mayRaiseAlert($0, deviceAreaPath: inVillage) }, "alert in the village")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { CaseAccess.mayRaiseAlert($0, deviceAreaPath: elsewhere) }, "alert in another street")
        // A camera's report-only key of the steward raises alerts for the steward's villages.
        #expect(CaseAccess.mayRaiseAlert(actor(.stewardStaff, keyScopes: [.casesReport]), deviceAreaPath: inVillage))
        #expect(!CaseAccess.mayRaiseAlert(actor(.stewardStaff, keyScopes: [.areasRead]), deviceAreaPath: inVillage))
    }

    @Test func namingANearbyCase() {
        let here = CaseParties(responsibleID: steward.id, areaPath: [district, street, village, grid], ownerDepartmentID: department.id,
                               reporterID: nil, handledBy: nil)
        var mine = here
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: true], { actor in
                   mine.reporterID = actor.user.id   // having reported the new case is not enough
                   return CaseAccess.mayNameNearbyCase(actor, mine)
               }, "name the duplicate")
    }

    @Test func deviceRegisterAndConsumers() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: true], ExchangeAccess.mayViewDevices, "see the device register")
        #expect(ExchangeAccess.deviceScope(for: actor(.streetOfficer)) == .subtrees([street]))
        #expect(ExchangeAccess.deviceScope(for: actor(.districtAdmin, keyScopes: [.areasRead])) == .nothing, "a map key reads areas, not devices")
        let consumerAccount = actor(.dataConsumer)
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { ExchangeAccess.mayUse(consumerOwnedBy: consumerAccount.user.id, $0) },
              "use another account's consumer")
        #expect(ExchangeAccess.mayUse(consumerOwnedBy: consumerAccount.user.id, consumerAccount), "its own")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], ExchangeAccess.mayChangeRules, "change desensitization rules")
        #expect(!ExchangeAccess.mayChangeRules(actor(.districtAdmin, keyScopes: [.feedsRead])), "a district key narrowed to reading feeds")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], ExchangeAccess.mayManageConsumers, "create consumers and change their scope")
        #expect(!ExchangeAccess.mayManageConsumers(actor(.districtAdmin, keyScopes: [.feedsRead])), "a district key narrowed to reading feeds")
        table([.districtAdmin: false, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: true, .auditor: false], { ExchangeAccess.mayReadAsConsumer($0.user) }, "be a consumer's reading account")
        var disabled = consumerAccount.user
        disabled.isActive = false
        #expect(!ExchangeAccess.mayReadAsConsumer(disabled), "a disabled account reads nothing")
    }

    @Test func households() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], HouseholdAccess.mayManage, "register houses and residents")
    }

    @Test func money() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: true], { FinanceAccess.mayEver(.read, $0) }, "read money")
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { FinanceAccess.mayEver(.manage, $0) }, "manage money")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { FinanceAccess.mayEver(.requestPolicySubsidy, $0) }, "request a policy subsidy")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { FinanceAccess.may(.decidePolicySubsidy, $0, streetID: street) }, "decide a policy subsidy")
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { FinanceAccess.may(.confirmIntroductionSubsidy, $0, streetID: street) },
              "confirm an introduction subsidy of one's street")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { FinanceAccess.may(.confirmIntroductionSubsidy, $0, streetID: otherStreet) },
              "confirm an introduction subsidy of another street")
        // Who may decide nothing is refused before any subsidy is looked up.
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], FinanceAccess.mayDecideAnySubsidy, "decide any subsidy")
    }

    @Test func contracts() {
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], ContractAccess.maySetPrices, "set benchmark prices")
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { ContractAccess.mayManage($0, streetID: street) }, "manage a contract of one's street")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { ContractAccess.mayManage($0, streetID: otherStreet) }, "manage another street's")
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: true], { ContractAccess.mayReadMatterList($0, streetID: street) }, "read one's street's matter list")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: true], { ContractAccess.mayReadMatterList($0, streetID: otherStreet) }, "read another street's list")
        table([.districtAdmin: false, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { ContractAccess.mayCountersign($0, stewardID: steward.id) }, "countersign its steward's contract")
        table([.districtAdmin: false, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { ContractAccess.mayCountersign($0, stewardID: UUID()) }, "countersign another steward's")
        #expect(ContractAccess.scope(for: actor(.stewardDispatcher)) == .steward(steward.id))
        #expect(ContractAccess.scope(for: actor(.resident)) == .nothing && ContractAccess.scope(for: actor(.departmentOfficer)) == .all)
    }

    @Test func assessment() {
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], AssessmentAccess.mayManage, "make, change and publish assessment plans")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: true], AssessmentAccess.seesDrafts, "see plans not yet published")
        #expect(AssessmentAccess.scope(for: actor(.districtAdmin)) == .all && AssessmentAccess.scope(for: actor(.auditor)) == .all)
        #expect(AssessmentAccess.scope(for: actor(.departmentOfficer)) == .all)
        #expect(AssessmentAccess.scope(for: actor(.streetOfficer)) == .areas([street]))
        #expect(AssessmentAccess.scope(for: actor(.stewardDispatcher)) == .steward(steward.id))
        #expect(AssessmentAccess.scope(for: actor(.resident)) == .nothing && AssessmentAccess.scope(for: actor(.dataConsumer)) == .nothing)
        // A key that only reports reads no scores.
        #expect(AssessmentAccess.scope(for: actor(.districtAdmin, keyScopes: [.casesReport])) == .nothing)
        // Whose matters: a department officer's scores are its own department's, whatever it asks; the others' what they ask.
        let other = UUID()
        for role in Role.allCases {
            let expected: UUID? = role == .departmentOfficer ? department.id : other
            #expect(AssessmentAccess.department(for: actor(role), asked: other) == expected, "\(role) asking for another department")
            #expect(AssessmentAccess.department(for: actor(role), asked: nil) == (role == .departmentOfficer ? department.id : nil), "\(role) asking for none")
            // …and a department officer asking for another's is answered as if it did not exist.
            #expect(AssessmentAccess.mayAsk(actor(role), department: other) == (role != .departmentOfficer), "\(role) may ask for another")
            #expect(AssessmentAccess.mayAsk(actor(role), department: department.id), "\(role) may ask for its own or any")
        }
    }

    @Test func dashboard() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: true], DashboardAccess.mayView, "see the oversight dashboard")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: true], DashboardAccess.mayChoose, "look at a chosen street, steward or department")
        let office = UUID(), areas = [UUID()]
        for role in Role.allCases {
            let a = actor(role)
            #expect(DashboardAccess.scope(for: a, chosen: nil) == CaseAccess.scope(for: a), "\(role): its own scope")
            let chosen = DashboardAccess.scope(for: a, chosen: .street(street, office: office))
            #expect(chosen == (DashboardAccess.mayChoose(a) ? .limited(areas: [street], orgs: [office], departments: [], reporter: nil) : nil), "\(role) choosing a street")
        }
        let admin = actor(.districtAdmin)
        #expect(DashboardAccess.scope(for: admin, chosen: .steward(steward.id, areas: areas)) == .limited(areas: areas, orgs: [steward.id], departments: [], reporter: nil))
        #expect(DashboardAccess.scope(for: admin, chosen: .department(department.id)) == .limited(areas: [], orgs: [department.id], departments: [department.id], reporter: nil))
        // A key narrowed to reporting sees no dashboard, and so chooses none.
        #expect(DashboardAccess.scope(for: actor(.districtAdmin, keyScopes: [.casesReport]), chosen: .department(department.id)) == nil)
    }

    @Test func operations() {
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { OperationsAccess.mayPlan($0, stewardID: steward.id) }, "plan the steward's work")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { OperationsAccess.mayPlan($0, stewardID: UUID()) }, "plan another steward's work")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: false], { OperationsAccess.worker($0, stewardID: steward.id, teams: []) != nil }, "work the steward's tasks")
        table([.districtAdmin: true, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { OperationsAccess.worker($0, stewardID: steward.id, teams: [])?.dispatches == true }, "dispatch the steward's tasks")
        table([.districtAdmin: false, .streetOfficer: false, .departmentOfficer: false, .stewardDispatcher: false, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: false], OperationsAccess.listsOwnWorkOnly, "sees only its own tasks")
        #expect(OperationsAccess.scope(for: actor(.districtAdmin)) == .all && OperationsAccess.scope(for: actor(.auditor)) == .all)
        #expect(OperationsAccess.scope(for: actor(.streetOfficer)) == .areas([street]))
        #expect(OperationsAccess.scope(for: actor(.departmentOfficer)) == .department(code: "LH-ZJJ"))
        #expect(OperationsAccess.scope(for: actor(.stewardStaff)) == .steward(steward.id))
        #expect(OperationsAccess.scope(for: actor(.resident)) == .nothing && OperationsAccess.scope(for: actor(.dataConsumer)) == .nothing)
        // Shifts: as plans and tasks, but a department sees no roster.
        #expect(OperationsAccess.shiftScope(for: actor(.departmentOfficer)) == .nothing)
        #expect(OperationsAccess.shiftScope(for: actor(.streetOfficer)) == .areas([street]) && OperationsAccess.shiftScope(for: actor(.auditor)) == .all)
        #expect(OperationsAccess.shiftScope(for: actor(.stewardStaff)) == .steward(steward.id) && OperationsAccess.shiftScope(for: actor(.resident)) == .nothing)
        // A key that only reports sees no plans and works no task.
        let key = actor(.stewardDispatcher, keyScopes: [.casesReport])
        #expect(OperationsAccess.scope(for: key) == .nothing && OperationsAccess.worker(key, stewardID: steward.id, teams: []) == nil)
        #expect(!OperationsAccess.mayPlan(key, stewardID: steward.id))
    }
    @Test func assets() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: false, .stewardDispatcher: true, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], AssetAccess.mayEdit, "keep the asset register")
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: false], AssetAccess.mayLinkCases, "link a case to its component")
        #expect(AssetAccess.scope(for: actor(.districtAdmin)) == .all && AssetAccess.scope(for: actor(.auditor)) == .all)
        #expect(AssetAccess.scope(for: actor(.streetOfficer)) == .areas([street]))
        #expect(AssetAccess.scope(for: actor(.departmentOfficer)) == .ownerDepartment("LH-ZJJ"))
        #expect(AssetAccess.scope(for: actor(.resident)) == .nothing && AssetAccess.scope(for: actor(.dataConsumer)) == .nothing)
    }
    @Test func spotChecks() {
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: false, .stewardStaff: false,
               .resident: false, .dataConsumer: false, .auditor: false], { SpotCheckAccess.inspectScope(for: $0) != .nothing }, "draw and inspect spot checks")
        table([.districtAdmin: true, .streetOfficer: true, .departmentOfficer: true, .stewardDispatcher: true, .stewardStaff: true,
               .resident: false, .dataConsumer: false, .auditor: true], { SpotCheckAccess.viewScope(for: $0) != .nothing }, "see spot checks")
        #expect(SpotCheckAccess.inspectScope(for: actor(.districtAdmin)) == .all && SpotCheckAccess.inspectScope(for: actor(.streetOfficer)) == .areas([street]))
        #expect(SpotCheckAccess.viewScope(for: actor(.stewardStaff)) == .steward(steward.id) && SpotCheckAccess.viewScope(for: actor(.streetOfficer)) == .areas([street]))
        // Only the drawing organisation's inspectors record its spots; a key that reports draws nothing.
        let officer = actor(.streetOfficer)
        #expect(SpotCheckAccess.mayRecord(officer, roundOrg: officer.org!.id) && !SpotCheckAccess.mayRecord(officer, roundOrg: UUID()))
        #expect(!SpotCheckAccess.mayRecord(actor(.stewardDispatcher), roundOrg: steward.id))
        #expect(SpotCheckAccess.inspectScope(for: actor(.districtAdmin, keyScopes: [.casesReport])) == .nothing)
    }
}
