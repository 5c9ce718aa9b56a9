import Foundation

/// What an import of a GeoJSON file under one parent will do, decided before anything is written: the areas it adds,
/// the ones whose outline or name it replaces (surveyed outlines replacing placeholders), and the ones it leaves as
/// they are. An area keeps its id when its outline is replaced, so the cases reported in it keep their grid.
public struct AreaImportPlan: Sendable, Equatable {
    public struct Change: Sendable, Equatable {
        public var feature: AreaFeature
        public var current: Area
        public var renamed: Bool
        public var reshaped: Bool
    }

    public var creates: [AreaFeature]
    public var changes: [Change]
    /// Codes the file has exactly as stored.
    public var unchanged: [String]

    public var writesNothing: Bool { creates.isEmpty && changes.isEmpty }
}

public enum AreaImport {
    /// The plan for `features` under `parent`. `existing` holds the stored areas that have any of the features' codes.
    /// Without `replace` a code already stored is a problem (as an import of new areas always was); with it, a child of
    /// the same parent and kind is replaced in place, and a code stored anywhere else is still a problem (an import
    /// never moves an area). Every problem is reported with its feature index; any problem plans nothing.
    public static func plan(_ features: [AreaFeature], existing: [String: Area], parent: Area, replace: Bool) -> Result<AreaImportPlan, GeoJSONProblems> {
        var problems: [GeoJSONProblem] = []
        var plan = AreaImportPlan(creates: [], changes: [], unchanged: [])
        for f in features {
            guard let current = existing[f.code] else {
                plan.creates.append(f)
                continue
            }
            guard replace else {
                problems.append(GeoJSONProblem(featureIndex: f.index, reason: LocalizedText(
                    zh: "代码 \(f.code) 已存在（替换已有区域的边界请选择“替换已有区域”）", en: "code \(f.code) already exists (to replace stored outlines, import with replace)")))
                continue
            }
            guard current.parentID == parent.id, current.kind == f.kind else {
                problems.append(GeoJSONProblem(featureIndex: f.index, reason: LocalizedText(
                    zh: "代码 \(f.code) 已属于另一上级区域或另一类型，导入不能移动区域", en: "code \(f.code) belongs to another parent or kind; an import never moves an area")))
                continue
            }
            let renamed = current.name != f.name || (f.nameEn != nil && current.nameEn != f.nameEn)
            let reshaped = current.shape != f.shape
            if renamed || reshaped {
                plan.changes.append(AreaImportPlan.Change(feature: f, current: current, renamed: renamed, reshaped: reshaped))
            } else {
                plan.unchanged.append(f.code)
            }
        }
        return problems.isEmpty ? .success(plan) : .failure(GeoJSONProblems(problems))
    }
}
