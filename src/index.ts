/** Public surface of the pure core (no Pulumi, no I/O beyond reading catalogs and payloads). */
export { CatalogError, formatIssue, type CatalogIssue, type Severity } from "./catalog/errors";
export { loadCatalog, loadCatalogSources, type Catalog, type CatalogSource, type Located, type LoadedTemplate } from "./catalog/load";
export { resolveCatalog, type ResolvedCatalog, type ResolvedProfile, type ResolvedDistribution, type ResolvedTemplate, type ResolvedMapping } from "./catalog/resolve";
export type { PayloadFile } from "./catalog/checksums";
export * from "./catalog/schema";
export { select, type Selection, type SelectedObject, type ObjectKind } from "./select";
export { render, type ServerTree, type PlacedFile, type RenderOptions, type FileOriginKind } from "./render/render";
export { secretPlaceholder } from "./render/context";
export * as layout from "./render/layout";
export { impact, serverImpact, objectFingerprint, type Impact, type ServerImpact, type Op } from "./impact";
export { readStackConfig, parseStackConfig, unmatchedPatterns, CATALOG_KEY, SERVERS_KEY, type StackConfig } from "./stackConfig";
export { impactSummary, impactText, impactMarkdown } from "./report/impactReport";
export { impactHtml } from "./report/htmlReport";
export { planFromPreview, type Plan, type PlannedFile } from "./plan/fromPreview";
export { parsePreviewJson, type PreviewJson } from "./plan/previewJson";
