import CityStewardCore
import Foundation
import Testing

@Suite("Language")
struct LanguageTests {
    @Test func explicitChoiceWins() {
        #expect(Language.negotiate(explicit: "en", acceptLanguage: "zh-CN") == .en)
        #expect(Language.negotiate(explicit: "zh", acceptLanguage: "en") == .zhHans)
        #expect(Language.negotiate(explicit: "fr", acceptLanguage: "en-GB,en;q=0.9") == .en)
    }

    @Test func acceptLanguageQualities() {
        #expect(Language.negotiate(explicit: nil, acceptLanguage: nil) == .zhHans)
        #expect(Language.negotiate(explicit: nil, acceptLanguage: "en-US,en;q=0.9,zh-CN;q=0.8") == .en)
        #expect(Language.negotiate(explicit: nil, acceptLanguage: "fr;q=1, zh-Hans;q=0.5, en;q=0.4") == .zhHans)
        #expect(Language.negotiate(explicit: nil, acceptLanguage: "de,fr") == .zhHans)
        #expect(Language.negotiate(explicit: nil, acceptLanguage: "en;q=0") == .zhHans)
    }
}

@Suite("Access policy")
struct AccessPolicyTests {
    let district = UUID(), minzhi = UUID(), guanlan = UUID(), songziyuan = UUID(), pilao = UUID()

    func area(_ id: UUID, _ path: [UUID]) -> Area {
        Area(id: id, kind: .village, code: "x", name: "x", parentID: nil, streetID: nil, path: path, shape: nil, centre: nil)
    }

    func actor(_ role: Role, areas: [UUID] = [], scopes: Set<Permission>? = nil) -> Actor {
        Actor(user: User(id: UUID(), username: "u", displayName: "u", role: role, orgID: UUID(), isActive: true),
              org: nil, orgAreas: areas, keyScopes: scopes)
    }

    @Test func streetOfficerSeesOnlyItsStreet() {
        let scope = AccessPolicy.areaScope(for: actor(.streetOfficer, areas: [minzhi]))
        #expect(scope.includes(area(songziyuan, [district, minzhi, songziyuan])))
        #expect(!scope.includes(area(pilao, [district, guanlan, pilao])))
        #expect(!scope.includes(area(district, [district])))
    }

    @Test func stewardSeesTheVillagesItServes() {
        let scope = AccessPolicy.areaScope(for: actor(.stewardDispatcher, areas: [songziyuan]))
        #expect(scope.includes(area(songziyuan, [district, minzhi, songziyuan])))
        #expect(!scope.includes(area(minzhi, [district, minzhi])))
    }

    @Test func districtDepartmentsAndAuditorsSeeEverything() {
        for role in [Role.districtAdmin, .departmentOfficer, .auditor] {
            #expect(AccessPolicy.areaScope(for: actor(role)) == .everything)
        }
    }

    @Test func anActorWithoutAreasSeesNothing() {
        #expect(AccessPolicy.areaScope(for: actor(.streetOfficer)) == .nothing)
        #expect(!AccessPolicy.areaScope(for: actor(.stewardStaff)).includes(area(pilao, [district, guanlan, pilao])))
    }

    @Test func apiKeysNarrowTheRole() {
        let admin = actor(.districtAdmin, scopes: [.areasRead])
        #expect(admin.can(.areasRead))
        #expect(!admin.can(.usersManage))
        // A key cannot grant more than the role has.
        let staff = actor(.stewardStaff, scopes: [.areasRead, .usersManage])
        #expect(!staff.can(.usersManage))
        // A key without areas:read sees no areas.
        #expect(AccessPolicy.areaScope(for: actor(.districtAdmin, scopes: [.auditRead])) == .nothing)
        #expect(throws: DomainError.self) { try AccessPolicy.require(.usersManage, staff) }
    }

    @Test func credentialRules() {
        #expect(CredentialRules.validateUsername("street-minzhi") == nil)
        #expect(CredentialRules.validateUsername("Ab") != nil)
        #expect(CredentialRules.validateUsername("1abc") != nil)
        #expect(CredentialRules.validateUsername("a b c") != nil)
        #expect(CredentialRules.validatePassword("demo1234") == nil)
        #expect(CredentialRules.validatePassword("short") != nil)
    }

    @Test func rolesAndOrgKindsMatch() {
        #expect(Role.streetOfficer.allowedOrgKinds == [.streetOffice])
        #expect(Role.resident.allowedOrgKinds.isEmpty)
        #expect(Permission.granted(to: .districtAdmin) == Set(Permission.allCases))
    }
}
