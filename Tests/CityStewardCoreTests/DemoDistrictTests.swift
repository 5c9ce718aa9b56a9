import CityStewardCore
import Foundation
import Testing

@Suite("Demo district")
struct DemoDistrictTests {
    @Test func sixStreetsAndSixPilotVillages() {
        let streets = DemoDistrict.areas.filter { $0.kind == .street }
        #expect(streets.map(\.code) == ["440309001", "440309002", "440309003", "440309004", "440309005", "440309006"])
        let villages = DemoDistrict.areas.filter { $0.kind == .village }
        #expect(Set(villages.map(\.name)) == ["浪口村", "马场新村", "松仔园村", "上油松村", "章阁新村", "陂老村"])
    }

    @Test func everyCodeIsValidUniqueAndUnderItsParent() {
        let byCode = Dictionary(uniqueKeysWithValues: DemoDistrict.areas.map { ($0.code, $0) })
        #expect(byCode.count == DemoDistrict.areas.count)
        for seed in DemoDistrict.areas {
            #expect(AreaCode.validate(seed.code, kind: seed.kind, parentCode: seed.parentCode) == nil, "\(seed.code)")
            if let parent = seed.parentCode.flatMap({ byCode[$0] }) {
                #expect(parent.kind.allowedChildren.contains(seed.kind))
            }
        }
    }

    @Test func gridsTileTheirVillageInHundredMetreCells() throws {
        let villages = DemoDistrict.areas.filter { $0.kind == .village }
        for village in villages {
            let grids = DemoDistrict.areas.filter { $0.kind == .grid && $0.parentCode == village.code }
            #expect(grids.count >= 20)
            let outline = try #require(village.shape)
            var total = 0.0
            for grid in grids {
                let shape = try #require(grid.shape)
                #expect(abs(shape.areaSquareMetres - 10_000) < 150, "\(grid.code)")
                // Every corner of every cell is inside or on the village outline.
                for corner in shape.polygons[0].outer { #expect(outline.contains(corner), "\(grid.code)") }
                total += shape.areaSquareMetres
            }
            // The cells cover the village: areas agree within 0.5 %.
            #expect(abs(total - outline.areaSquareMetres) / outline.areaSquareMetres < 0.005, "\(village.name)")
            // Each grid cell's centre finds exactly that cell in an index of the village's cells.
            let index = GridIndex(regions: grids.map { $0.shape! })
            for (i, grid) in grids.enumerated() {
                #expect(index.firstRegion(containing: grid.centre) == i)
            }
        }
    }

    @Test func gridsAreNumberedWestToEastNorthToSouth() {
        let grids = DemoDistrict.areas.filter { $0.kind == .grid && $0.parentCode == DemoDistrict.villageCodes[0] }
        #expect(grids[0].centre.long < grids[1].centre.long)
        #expect(grids.last!.centre.lat < grids[0].centre.lat)
    }

    @Test func buildingsSitInsideTheirGrid() throws {
        let byCode = Dictionary(uniqueKeysWithValues: DemoDistrict.areas.map { ($0.code, $0) })
        let buildings = DemoDistrict.areas.filter { $0.kind == .building }
        #expect(buildings.count >= 18)
        for building in buildings {
            let grid = try #require(building.parentCode.flatMap { byCode[$0] })
            for corner in building.shape!.polygons[0].outer { #expect(grid.shape!.contains(corner), "\(building.code)") }
        }
    }

    @Test func orgsAndOneUserPerRole() {
        #expect(Set(DemoDistrict.users.map(\.role)) == Set(Role.allCases))
        let names = Set(DemoDistrict.orgs.map(\.name))
        for required in ["区委组织部", "区住房建设局", "区消防救援大队", "深圳市龙华建设发展有限公司", "民治街道办事处", "观澜街道办事处"] {
            #expect(names.contains(required), "\(required)")
        }
        #expect(DemoDistrict.orgs.filter { $0.kind == .streetOffice }.count == 6)
        let steward = DemoDistrict.orgs.filter { $0.kind == .steward }
        #expect(steward.count == 1)
        #expect(steward[0].areaCodes.isEmpty)   // its villages come from its contracts, one per street, covering all six
        #expect(Set(DemoDistrict.streetsWithVillages.flatMap(\.villages)) == Set(DemoDistrict.villageCodes))
        for user in DemoDistrict.users {
            let org = DemoDistrict.orgs.first { $0.code == user.orgCode }
            if user.role.allowedOrgKinds.isEmpty { #expect(org == nil) } else { #expect(org.map { user.role.allowedOrgKinds.contains($0.kind) } == true, "\(user.username)") }
        }
    }
}

@Suite("Area map")
struct AreaMapTests {
    @Test func projectsKeepingShapeAndAddsAScaleBar() throws {
        let village = DemoDistrict.areas.first { $0.kind == .village }!
        let grids = DemoDistrict.areas.filter { $0.kind == .grid && $0.parentCode == village.code }
        func area(_ seed: DemoDistrict.AreaSeed) -> Area {
            Area(id: UUID(), kind: seed.kind, code: seed.code, name: seed.name, parentID: nil, streetID: nil, path: [], shape: seed.shape, centre: seed.centre)
        }
        let map = try #require(AreaMap.draw(grids.map { AreaMap.Item(area: area($0), href: "/g") }, outline: area(village), width: 800, language: .zhHans))
        #expect(map.shapes.count == grids.count + 1)
        #expect(map.shapes[0].kind == "outline")
        // 8 cells of 100 m across 752 units: about 0.94 units a metre, so a 200 m bar fits a quarter of the width.
        #expect(map.scaleBar.metres == 200)
        #expect(abs(map.scaleBar.width - 188) < 3)
        // Square cells stay square: a cell's path spans equal width and height.
        let numbers = map.shapes[1].path.split(whereSeparator: { "MLZ ".contains($0) }).compactMap { Double($0) }
        let xs = stride(from: 0, to: numbers.count, by: 2).map { numbers[$0] }, ys = stride(from: 1, to: numbers.count, by: 2).map { numbers[$0] }
        #expect(abs((xs.max()! - xs.min()!) - (ys.max()! - ys.min()!)) < 0.5)
    }

    @Test func nothingToDraw() {
        #expect(AreaMap.draw([], width: 400, language: .en) == nil)
    }
}
