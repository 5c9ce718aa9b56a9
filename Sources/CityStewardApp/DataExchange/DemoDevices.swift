import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// An access gate and an AI camera in every demo village, all sending with one demo key (printed once, when made).
enum DemoDevices {
    static func load(_ app: Application) async throws -> String? {
        let store = DeviceStore(db: app.db)
        guard try await store.all().isEmpty else { return nil }
        let directory = DirectoryStore(db: app.db)
        guard let patroller = try await directory.user(username: "steward-patrol") else { return nil }
        let (secret, info) = try await directory.issueToken(userID: patroller.id, kind: .apiKey, name: "demo devices", scopes: [.devicesSend], expiresAt: nil)
        let reference = try await app.caseReference.get(app.db)
        let now = app.clock.now
        for (n, code) in DemoDistrict.villageCodes.enumerated() {
            guard let village = reference.areasByCode[code] else { continue }
            let grids = reference.areas.values.filter { $0.parentID == village.id && $0.kind == .grid }.sorted { $0.code < $1.code }
            guard let gate = grids.first, let camera = grids.dropFirst(2).first ?? grids.last, let g = gate.centre, let c = camera.centre else { continue }
            let short = String(format: "%02d", n + 1)
            try await store.add(ValidDevice(code: "GATE-\(short)", kind: .gate, name: "\(village.name)东门门禁", vendor: "hikvision", area: gate, position: g),
                                tokenID: info.id, at: now)
            try await store.add(ValidDevice(code: "CAM-\(short)", kind: .camera, name: "\(village.name)垃圾点 AI 摄像头", vendor: "dahua", area: camera, position: c),
                                tokenID: info.id, at: now)
        }
        // Two consumers of the same events, each with its own rules and pseudonym key.
        if let platform = try await directory.user(username: "data-platform") {
            let villages = DemoDistrict.villageCodes.compactMap { reference.areasByCode[$0]?.id }
            let consumers = ConsumerStore(db: app.db)
            if try await consumers.find(code: "district-platform") == nil {
                _ = try await consumers.create(code: "district-platform", name: "区大数据平台", userID: platform.id, areaIDs: villages, kinds: ["gate", "ai"],
                                               rules: .standard(consumer: "district-platform"), by: "demo", at: now)
            }
            if try await consumers.find(code: "video-platform") == nil {
                var rules = DesensitizationRules.standard(consumer: "video-platform")
                rules.rules[.plate] = .mask
                _ = try await consumers.create(code: "video-platform", name: "区视频共享平台", userID: platform.id, areaIDs: villages, kinds: ["ai"],
                                               rules: rules, by: "demo", at: now)
            }
        }
        return secret
    }
}
