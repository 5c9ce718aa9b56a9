#!/usr/bin/env python3
"""Builds Resources/Taxonomy/taxonomy.json, the project's own category data, from the reference transcription
../shared/reference/taxonomy.json (GB/T 47678.5-2026 + legacy GB/T 30428.2 codes + local time-limit examples).

Run from the package root: python3 scripts/gen-taxonomy.py [path/to/reference/taxonomy.json]
The output is committed; district admins edit categories in the console afterwards (versioned in the database),
so this script is only for rebuilding the shipped defaults.
"""
import json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "data"))
from taxonomy_en import COMPONENT_EN, EVENT_EN, MAJOR_EN

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../shared/reference/taxonomy.json")
ref = json.load(open(src, encoding="utf-8"))
gb = [e for e in ref if e["scheme"].startswith("GB/T 47678.5")]

def lim(amount, unit, basis):
    return {"amount": amount, "unit": unit, "default": True, "basis": basis}

S47 = "domain-standards §5 example (S47 立案/结案标准)"
S45 = "domain-standards §5 example (S45 Taiyuan)"
S49 = "domain-standards §5 example (S49 Guangzhou 2021)"
S48 = "domain-standards §5 example (S48 Jiyuan)"
PROJ = "project default by class (to be replaced by the contract's limit table)"
EXPLICIT = {
    "06001": lim(4, "workingHours", S47 + ": stop the works within 4 working hours"),
    "06010": lim(4, "workingHours", S47),
    "06011": lim(4, "workingHours", S47),
    "06012": lim(2, "workingHours", S47),
    "06017": lim(4, "workingHours", S47),
    "06025": lim(15, "workingDays", S48),
    "06029": lim(2, "calendarHours", S45),
    "01002": lim(2, "calendarHours", S45 + ": missing sewer cover"),
    "01037": lim(1, "workingDays", S45 + ": three street lights out"),
}
COVERS = {c for c in COMPONENT_EN if COMPONENT_EN[c].endswith("manhole cover")} | {"01004", "01026"}
def default_limit(code):
    if code in EXPLICIT: return EXPLICIT[code]
    if code in COVERS: return lim(6, "calendarHours", S49 + ": damaged manhole cover")
    major = code[:2]
    if major in ("01", "02", "03", "04", "05"): return lim(5, "workingDays", PROJ)
    return {"06": lim(1, "workingDays", PROJ), "07": lim(1, "workingDays", PROJ), "08": lim(2, "workingDays", PROJ),
            "09": lim(2, "workingHours", PROJ + " (street-order items carry short working-hour limits, §5)"),
            "10": lim(4, "calendarHours", PROJ)}[major]
def urgent_of(normal):
    amount = normal["amount"] / 2
    unit = normal["unit"]
    if unit == "workingDays" and amount < 1: amount, unit = normal["amount"] * 4, "workingHours"
    if unit != "workingDays": amount = max(1, amount)
    return {"amount": amount, "unit": unit, "default": True, "basis": "project default: half the normal limit"}

# Owner departments (org codes of the demo directory; the district renames them in the console).
def owner(code):
    special = {"06025": "LH-SWJ", "06026": "LH-SWJ", "06030": "LH-SWJ", "06023": "LH-SWJ", "06046": "LH-SWJ", "06024": "LH-SWJ",
               "06027": "LH-HJJ", "06028": "LH-HJJ", "06033": "LH-WJJ", "09009": "LH-JJDD", "09012": "LH-XFDD", "09003": "LH-MZJ",
               "09015": "LH-SJJ", "09008": "LH-SJJ", "09020": "LH-SJJ", "06016": "LH-JTJ", "06039": "LH-JTJ", "09018": "LH-JTJ",
               "01002": "LH-SWJ", "01003": "LH-SWJ", "01004": "LH-SWJ", "01018": "LH-SWJ", "01072": "LH-SWJ", "01073": "LH-SWJ",
               "01001": "LH-SWJ", "01013": "LH-XFDD", "01050": "LH-GA", "01051": "LH-GA", "01012": "LH-GA", "02014": "LH-JJDD",
               "02015": "LH-JJDD", "02016": "LH-JJDD"}
    if code in special: return special[code]
    major = code[:2]
    return {"01": "LH-CGJ", "02": "LH-JTJ", "03": "LH-CGJ", "04": "LH-CGJ", "05": None, "06": "LH-CGJ", "07": "LH-CGJ",
            "08": "LH-ZJJ", "09": "LH-CGJ", "10": "LH-CGJ"}[major]

# Enforcement matters: investigated by the street office (综合执法), never by the steward.
BEYOND = {"06001", "06002", "06003", "06022", "06032", "06033", "06045", "08003", "08016", "09008", "09015", "09016", "06046"}

# The entrustable matter catalog (可委托事项; the district's own list was not found, see domain-standards §3.3).
anomaly = lambda major: [c for c in COMPONENT_EN if c.startswith(major)]
MATTERS = [
    {"code": "M-SAN-01", "name": "环境卫生保洁", "nameEn": "Sanitation and cleaning", "domain": "sanitation", "ownerDepartment": "LH-CGJ",
     "categories": ["06010", "06011", "06012", "06014", "06017", "06018", "06019", "06020", "06034", "06035", "06036", "06037",
                    "06041", "06042", "07001", "07002"] + anomaly("03")},
    {"code": "M-FAC-01", "name": "公共设施维护", "nameEn": "Public facility maintenance", "domain": "facilities", "ownerDepartment": "LH-CGJ",
     "categories": ["06013", "06043", "06044", "06048", "06049", "06050", "06051", "06052", "06021", "01037", "01038", "01039",
                    "01046", "01052", "01058", "01065", "02025", "02027", "02038", "02043"] + anomaly("04")},
    {"code": "M-PAT-01", "name": "巡查劝导", "nameEn": "Patrol and persuasion", "domain": "governance", "ownerDepartment": "LH-CGJ",
     "categories": ["06007", "06040", "09001", "09004", "09005", "09006", "09010", "09011", "09019", "09022"]},
    {"code": "M-PRO-01", "name": "物业服务", "nameEn": "Property services", "domain": "property", "ownerDepartment": "LH-ZJJ",
     "categories": ["06004", "06005", "06009", "01076"]},
    {"code": "M-CON-01", "name": "施工管理巡查", "nameEn": "Construction site oversight", "domain": "entrusted", "ownerDepartment": "LH-ZJJ",
     "categories": [f"080{n:02d}" for n in range(1, 16) if n != 3]},
    {"code": "M-WAT-01", "name": "水务设施巡护", "nameEn": "Water facility patrol", "domain": "entrusted", "ownerDepartment": "LH-SWJ",
     "categories": ["06025", "06026", "06030", "01002", "01003", "01004", "01018", "01072", "01073"]},
]
matter_of = {}
# A class in an entrustable matter is owned by the department that entrusts the matter (谁委托谁监管).
owner_of_matter = {c: m["ownerDepartment"] for m in MATTERS for c in m["categories"]}
for m in MATTERS:
    for c in m["categories"]:
        assert c not in matter_of, c
        assert c not in BEYOND, c
        matter_of[c] = m["code"]

def group(code):
    if code in {"01013", "01011", "01021", "01057", "01047", "01048", "01049", "06033", "08013", "09012", "10001", "10002", "06029", "06048"}:
        return "safety"
    if code in matter_of and matter_of[code] == "M-SAN-01": return "garbage"
    major = code[:2]
    if major in ("01", "02", "03", "04", "05") or code in {"06013", "06016", "06023", "06043", "06044", "06049", "06050", "06051", "06052"}:
        return "facilities"
    if major in ("09", "07") or code in {"06007", "06040", "06001", "06003", "06006", "06008", "06009", "06019"}:
        return "order"
    if code in {"06010", "06011", "06012", "06014", "06015", "06017", "06018", "06020", "06025", "06026", "06030", "06032", "06034",
                "06035", "06036", "06037", "06041", "06042"}:
        return "garbage"
    return "other"

# Legacy codes (GB/T 30428.2 lineage) → new codes, by name: the 2026 list keeps the 2013 minor names (§3.2).
def norm(name):
    return name.replace("上水", "供水").replace("通讯", "通信").replace("(", "（").replace(")", "）").replace("坐椅", "座椅")
comp_by_name = {norm(e["minor"]): e["minor_code"] for e in gb if e["kind"] == "component"}
event_by_name = {norm(e["minor"]): e["minor_code"] for e in gb if e["kind"] == "event"}
legacy = {}
unmapped = []
# Renamed between the schemes; matched by hand.
MANUAL = {"event:0407": "10001", "event:0408": "10002", "event:0112": "06014", "event:0115": "06020", "event:0117": "06037",
          "event:0118": "06038", "event:0503": "09004", "event:0507": "06036", "event:01-98": "06042", "event:0108": "06035",
          "event:0109": "06019", "event:0111": "06023", "event:0113": "06004", "event:0114": "06024", "event:0508": "06028"}
for e in ref:
    s = e["scheme"]
    if s.startswith("legacy 部件"):
        new = comp_by_name.get(norm(e["minor"]))
        key = "component:" + e["minor_code"]
        if new: legacy.setdefault(("component", new), []).append(key); legacy.setdefault(("event", new), []).append(key)
        else: unmapped.append({"code": key, "name": e["minor"]})
    elif s.startswith("legacy 事件 'MM-NN'"):
        major, minor = e["minor_code"][:2], e["minor_code"][2:]
        guess = {"01": "06", "02": "07", "03": "08", "04": "09"}.get(major)
        new = guess + "0" + minor if guess else None
        key = "event:%s-%s" % (major, minor)
        new = MANUAL.get(key, new)
        if new and any(x["minor_code"] == new and x["kind"] == "event" for x in gb): legacy.setdefault(("event", new), []).append(key)
        else: unmapped.append({"code": key, "name": e["minor"]})
    elif s.startswith("legacy 事件"):
        key = "event:" + e["minor_code"]
        new = MANUAL.get(key) or event_by_name.get(norm(e["minor"]))
        if new: legacy.setdefault(("event", new), []).append(key)
        else: unmapped.append({"code": key, "name": e["minor"]})

categories = []
for e in gb:
    code, kind = e["minor_code"], e["kind"]
    if kind == "component":
        name_en = COMPONENT_EN[code]
        entry = {"code": code, "kind": kind, "name": e["minor"], "nameEn": name_en}
    else:
        name_en = EVENT_EN.get(code) or (COMPONENT_EN[code] + " defect")
        normal = default_limit(code)
        entry = {"code": code, "kind": kind, "name": e["minor"], "nameEn": name_en,
                 "limits": {"normal": normal, "urgent": urgent_of(normal)},
                 "beyondStewardAuthority": code in BEYOND, "ownerDepartment": owner_of_matter.get(code, owner(code)), "group": group(code)}
        if code in matter_of: entry["matter"] = matter_of[code]
    entry["majorCode"] = code[:2]
    entry["majorName"] = e["major"].rstrip("类") + ("类" if kind == "event" or e["major"].endswith("类") else "")
    entry["majorNameEn"] = MAJOR_EN[(kind, code[:2])]
    entry["legacyCodes"] = sorted(legacy.get((kind, code), []))
    categories.append(entry)

AI = [("dahua", "882", "商铺占道经营", "09005"), ("dahua", "883", "垃圾违章倾倒", "06011"), ("dahua", "887", "游摊小贩", "09001"),
      ("dahua", "890", "暴露垃圾", "06010"), ("dahua", "891", "违规撑伞", "09005"), ("dahua", "892", "门前脏乱", "06012"),
      ("dahua", "893", "机动车违章停车", "09009"), ("dahua", "894", "非机动车违章停车", "09010"),
      ("label", "打包垃圾", "打包垃圾", "06010"), ("label", "暴露垃圾", "暴露垃圾", "06010"), ("label", "垃圾箱满溢", "垃圾箱满溢", "06042"),
      ("label", "沿街晾晒", "沿街晾晒", "06007"), ("label", "乱堆物料", "乱堆物料", "06036"), ("label", "占道经营", "占道经营", "09006"),
      ("label", "店外经营", "店外经营", "09005"), ("label", "无照经营游商", "无照经营游商", "09001"), ("label", "户外广告", "户外广告", "07003"),
      ("label", "道路破损", "道路破损", "06013"), ("label", "井盖异常", "井盖异常", "01023"), ("label", "地桩地锁", "地桩地锁", "06040"),
      ("label", "绿化损坏", "绿化损坏", "06045"), ("label", "违规撑伞", "违规撑伞", "09005")]
out = {
    "scheme": "GB/T 47678.5-2026",
    "source": "../shared/reference/taxonomy.json (secondary transcription of GB/T 47678.5-2026, not verified against the official text); English names are the project's translation",
    "limitsNote": "Every shipped time limit is a default (\"default\": true) taken from the examples in domain-standards §5 or set per class; the contract's own limit table replaces them. Units: workingHours, workingDays (on the working calendar), calendarHours.",
    "categories": categories,
    "matters": MATTERS,
    "aiEvents": [{"vendor": v, "code": c, "label": l, "category": cat} for v, c, l, cat in AI],
    "legacyUnmapped": unmapped,
}
path = os.path.join(os.path.dirname(__file__), "../Resources/Taxonomy/taxonomy.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
print("categories", len(categories), "matters", len(MATTERS), "legacy mapped", sum(len(v) for v in legacy.values()), "unmapped", len(unmapped))
