import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's notices: each active contract's residents' notice (§7(2)4), the street office's notice to all its villages
/// and the steward's safety notice in 松仔园村, shown from today.
enum DemoNotices {
    static func load(_ app: Application) async throws -> Bool {
        let db = app.db, now = app.clock.now
        let reference = try await app.caseReference.get(db)
        let store = NoticeStore(db: db)
        var loaded = false
        for contract in try await ContractStore(db: db).list(scope: .all) where contract.state == .active {
            if try await store.notice(ofContract: contract.id) == nil {
                try await ContractNotices.activated(contract, reference: reference, db: db, by: nil, at: now)
                loaded = true
            }
        }
        guard try await store.list(under: nil, org: nil, kind: .safety, limit: 1).isEmpty,
              let street = reference.areasByCode["440309002"], let village = reference.areasByCode["440309002001V01"] else { return loaded }
        let today = LocalDate.beijing(now)
        let office = reference.streetOffices[street.id]?.id
        let steward = reference.orgs.values.first { $0.code == "LH-STEWARD-01" }?.id
        let notices = [
            Notice(id: UUID(), title: "民治街道城中村消防安全月：楼道不堆物、电动车不进楼", body: """
                本月为城中村消防安全月。请各位居民、租户做到：楼道和消防通道不堆放杂物；电动自行车不进楼入户、不私拉电线充电，\
                到村内集中充电点充电；出租屋每层配备灭火器。城市管家巡查中发现的隐患将立案跟踪，拒不整改的将移交消防部门。
                """, kind: .safety, audience: .everyone, areas: [street.id], shownFrom: today, shownUntil: today.adding(days: 30),
                   orgID: office, createdBy: nil, createdAt: now),
            Notice(id: UUID(), title: "松仔园村东区下周二 9:00–12:00 停水检修", body: """
                因供水管网检修，松仔园村东区（1~12 栋）下周二上午 9:00 至 12:00 暂停供水，请提前储水。\
                如检修延期，城市管家将在本页更新。
                """, kind: .works, audience: .residents, areas: [village.id], shownFrom: today, shownUntil: today.adding(days: 7),
                   orgID: steward, createdBy: nil, createdAt: now),
        ]
        for n in notices {
            try await store.create(n, paths: Dictionary(uniqueKeysWithValues: n.areas.compactMap { id in reference.areas[id].map { (id, $0.path) } }))
        }
        return true
    }
}
