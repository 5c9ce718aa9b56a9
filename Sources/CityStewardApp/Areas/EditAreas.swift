import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Adding a child to an area and renaming one (the district office, `areas:manage`), for the console and the API;
/// outlines come by import. Each is an audit row, and what reads areas is refreshed.
struct EditAreas {
    let req: Request

    /// An area the district office may change (its outline loaded); any other answers as missing.
    func area(_ idText: String?) async throws -> (Actor, Area) {
        let actor = try req.require(.areasManage)
        guard let id = idText.flatMap(UUID.init(uuidString:)),
              let area = try? await AreaStore(db: req.db).find(id, scope: AccessPolicy.areaScope(for: actor), includeShape: true) else {
            throw AreaStore.notFound
        }
        return (actor, area)
    }

    func addChild(under idText: String?, _ draft: AreaDraft) async throws -> Area {
        let (_, parent) = try await area(idText)
        let store = AreaStore(db: req.db)
        let code = draft.code.trimmingCharacters(in: .whitespaces).uppercased()
        let taken = code.isEmpty ? false : try await store.find(code: code) != nil
        let valid: (code: String, kind: AreaKind, name: String, nameEn: String?)
        switch AreaRules.validateChild(draft, parent: parent, codeTaken: taken) {
        case .failure(let problems): throw problems
        case .success(let v): valid = v
        }
        let id = UUID()
        let child = Area(id: id, kind: valid.kind, code: valid.code, name: valid.name, nameEn: valid.nameEn, parentID: parent.id,
                         streetID: parent.kind == .district ? id : parent.streetID, path: parent.path + [id], shape: nil, centre: parent.centre)
        try await store.insert(child)
        req.application.gridLocator.invalidate()
        req.application.caseReference.invalidate()
        try await req.audit(.importData, subject: "areas:\(parent.code)", detail: "added \(child.kind.rawValue) \(child.code) \(child.name)")
        return child
    }

    func rename(_ idText: String?, _ draft: AreaDraft) async throws -> Area {
        let (_, area) = try await area(idText)
        let valid: (name: String, nameEn: String?)
        switch AreaRules.validateRename(draft) {
        case .failure(let problems): throw problems
        case .success(let v): valid = v
        }
        try await AreaStore(db: req.db).rename(area.id, name: valid.name, nameEn: valid.nameEn)
        req.application.caseReference.invalidate()
        try await req.audit(.importData, subject: "areas:\(area.code)", detail: "renamed \(area.name) → \(valid.name)")
        var renamed = area
        (renamed.name, renamed.nameEn) = (valid.name, valid.nameEn)
        return renamed
    }
}
