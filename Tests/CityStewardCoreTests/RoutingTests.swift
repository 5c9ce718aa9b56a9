import CityStewardCore
import Foundation
import Testing

@Suite("Routing")
struct RoutingTests {
    let office = PartyRef(id: UUID(), name: "区专项办", kind: .districtOffice)
    let minzhiOffice = PartyRef(id: UUID(), name: "民治街道办事处", kind: .streetOffice)
    let steward = PartyRef(id: UUID(), name: "龙华城市管家", kind: .steward)
    let otherSteward = PartyRef(id: UUID(), name: "另一管家", kind: .steward)
    let housing = PartyRef(id: UUID(), name: "区住房建设局", kind: .department)
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func area(_ kind: AreaKind, _ name: String) -> Area {
        Area(id: UUID(), kind: kind, code: name, name: name, parentID: nil, streetID: nil, path: [], shape: nil, centre: nil)
    }

    var place: (RoutingPlace, village: Area, street: Area, grid: Area) {
        let district = area(.district, "龙华区"), street = area(.street, "民治街道"), community = area(.community, "民治社区")
        let village = area(.village, "松仔园村"), grid = area(.grid, "网格 007")
        return (RoutingPlace(path: [district, street, community, village, grid], streetOffice: minzhiOffice), village, street, grid)
    }

    let garbage = RoutingCategory(code: "06010", name: "暴露垃圾", matterCode: "M-SANITATION", beyondStewardAuthority: false, ownerDepartment: nil)
    var construction: RoutingCategory {
        RoutingCategory(code: "06001", name: "私搭乱建", matterCode: "M-ORDER", beyondStewardAuthority: true, ownerDepartment: housing)
    }

    func entrusted(_ matter: String, _ where_: Area, _ to: PartyRef, from: Date? = nil, to end: Date? = nil, contract: String = "C-2026-001") -> EntrustedMatter {
        EntrustedMatter(matterCode: matter, areaID: where_.id, areaName: where_.name, steward: to,
                        validFrom: from ?? now.addingTimeInterval(-86_400), validTo: end, contractReference: contract)
    }

    @Test func entrustedMatterGoesToTheSteward() {
        let (p, village, _, _) = place
        let d = Router.route(category: garbage, place: p, entrustments: [entrusted("M-SANITATION", village, steward)], districtOffice: office, at: now)
        #expect(d.responsible == steward)
        #expect(d.rule == .entrusted)
        #expect(d.explanation.zh.contains("C-2026-001"))
        #expect(d.explanation.en.contains("松仔园村"))
    }

    @Test func beyondAuthorityAlwaysGoesToTheStreetOffice() {
        let (p, village, _, _) = place
        let d = Router.route(category: construction, place: p, entrustments: [entrusted("M-ORDER", village, steward)], districtOffice: office, at: now)
        #expect(d.responsible == minzhiOffice)
        #expect(d.rule == .beyondAuthority)
    }

    @Test func notEntrustedGoesToTheOwnerDepartmentElseTheDistrictOffice() {
        let (p, _, _, _) = place
        var category = garbage
        category.ownerDepartment = housing
        #expect(Router.route(category: category, place: p, entrustments: [], districtOffice: office, at: now).rule == .ownerDepartment)
        #expect(Router.route(category: garbage, place: p, entrustments: [], districtOffice: office, at: now).responsible == office)
        // Beyond authority with no known street: the owner department, then the district office.
        let nowhere = RoutingPlace(path: [], streetOffice: nil)
        #expect(Router.route(category: construction, place: nowhere, entrustments: [], districtOffice: office, at: now).responsible == housing)
    }

    @Test func entrustmentsMustCoverThePlaceAndBeInForce() {
        let (p, village, street, grid) = place
        let elsewhere = area(.village, "陂老村")
        let expired = entrusted("M-SANITATION", village, steward, from: now.addingTimeInterval(-1000), to: now)   // ends exactly now
        let future = entrusted("M-SANITATION", village, steward, from: now.addingTimeInterval(1))
        let otherMatter = entrusted("M-PARKING", village, steward)
        let otherPlace = entrusted("M-SANITATION", elsewhere, steward)
        let d = Router.route(category: garbage, place: p, entrustments: [expired, future, otherMatter, otherPlace], districtOffice: office, at: now)
        #expect(d.rule == .districtOffice)
        // The most specific area wins: a grid-level entrustment beats a street-wide one.
        let wide = entrusted("M-SANITATION", street, otherSteward)
        let narrow = entrusted("M-SANITATION", grid, steward)
        #expect(Router.route(category: garbage, place: p, entrustments: [wide, narrow], districtOffice: office, at: now).responsible == steward)
        #expect(Router.route(category: garbage, place: p, entrustments: [wide], districtOffice: office, at: now).responsible == otherSteward)
    }

    /// Property: routing is total and consistent with its rule, for every combination of inputs.
    @Test func routingIsTotal() {
        let (p, village, _, _) = place
        let nowhere = RoutingPlace(path: [], streetOffice: nil)
        for beyond in [false, true] {
            for owner in [nil, housing] {
                for places in [p, nowhere] {
                    for entrustments in [[], [entrusted("M-SANITATION", village, steward)]] {
                        let category = RoutingCategory(code: "x", name: "x", matterCode: "M-SANITATION", beyondStewardAuthority: beyond, ownerDepartment: owner)
                        let d = Router.route(category: category, place: places, entrustments: entrustments, districtOffice: office, at: now)
                        switch d.rule {
                        case .beyondAuthority: #expect(beyond && d.responsible == places.streetOffice)
                        case .entrusted: #expect(!beyond && d.responsible == steward && d.entrustment != nil)
                        case .ownerDepartment: #expect(d.responsible == owner)
                        case .districtOffice: #expect(owner == nil && d.responsible == office)
                        case .manual: Issue.record("the router never decides by hand")
                        }
                        if beyond { #expect(d.responsible.kind != .steward) }
                        #expect(!d.explanation.zh.isEmpty && !d.explanation.en.isEmpty)
                    }
                }
            }
        }
    }
}
