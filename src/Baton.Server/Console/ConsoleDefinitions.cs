using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.Tasks.Nodes;
using Baton.Engine.Tasks.Nodes.Trigger;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Baton.Server.Api;
using Baton.Server.Auth;
using Baton.Server.Console.Graph;

namespace Baton.Server.Console;

/// <summary>One row of the definitions list: a name with the versions the viewer may read.</summary>
public sealed record DefinitionSummary(string Name, bool IsNodeWorkflow, IReadOnlyList<int> Versions, string? Description, string? UpdatedBy, long? UpdateTime);

/// <summary>A secret a definition names, and whether a run of it started by the viewer could use it (null: it could).</summary>
public sealed record SecretUse(string Name, bool Stored, string? Refusal);

/// <summary>What saving from the editor came to: a message, or each problem at its JSON path as the API's 400 lists them.</summary>
public sealed record SaveOutcome(bool Failed, string Message, IReadOnlyList<ValidationProblem> Problems, string? SavedName = null);

/// <summary>
/// The definitions pages' reads and writes, through the API's own services and checks: the list is
/// <see cref="MetadataEndpoints.ReadableWorkflowDefsAsync"/>; the editor saves through
/// <see cref="MetadataEndpoints.SaveWorkflowDefsAsync"/> (PUT /api/metadata/workflow) or
/// <see cref="NodeWorkflowEndpoints.PutAsync"/> (PUT /v1/workflows/{identifier}); whether a secret may be used is the
/// one policy's answer (<see cref="ISecretUsePolicy.UseRefusal"/>) for a run the viewer would start.
/// </summary>
public static class ConsoleDefinitions
{
    /// <summary>The editor's text is bounded like a request body's JSON (1 MiB here, a page form, not a bulk upload).</summary>
    public const int MaxEditorBytes = 1 << 20;

    public static async Task<IReadOnlyList<DefinitionSummary>> ListAsync(HttpContext context, DefinitionCatalog catalog, CancellationToken ct) =>
        [.. (await MetadataEndpoints.ReadableWorkflowDefsAsync(context.Request, catalog, ct))
            .GroupBy(d => d.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var latest = g.MaxBy(d => d.Version)!;
                return new DefinitionSummary(g.Key, NodeWiring.IsNodeWorkflow(latest), [.. g.Select(d => d.Version).Order()], latest.Description,
                    latest.UpdatedBy ?? latest.CreatedBy, latest.UpdateTime ?? latest.CreateTime);
            })];

    /// <summary>The versions of one definition (the page's rule has checked READ on its name).</summary>
    public static async Task<IReadOnlyList<int>> VersionsAsync(DefinitionCatalog catalog, string name, CancellationToken ct) =>
        [.. (await catalog.ListWorkflowDefsAsync(ct)).Where(d => d.Name == name).Select(d => d.Version).Order()];

    public static async Task<IReadOnlyList<SecretUse>> SecretUsesAsync(HttpContext context, WorkflowDef def, SecretVault vault, ISecretUsePolicy policy, CancellationToken ct)
    {
        var caller = Caller.Of(context);
        var origin = SecretHandOff.OriginOf(def);
        var uses = new List<SecretUse>();
        foreach (var name in DefinitionSecrets.Names(def))
        {
            IReadOnlyList<SecretTag> tags = [];
            var stored = true;
            try
            {
                tags = (await vault.GetRecordAsync(name, ct)).Tags;
            }
            catch (SecretNotFoundException)
            {
                stored = false;
            }
            var refusal = policy.UseRefusal(new ResolutionContext("", "", "", caller.Id) { Definition = origin }, name, tags);
            // Whether a secret is stored is told only to those whose rights would let them use it.
            uses.Add(new SecretUse(name, stored || refusal is not null, refusal ?? (stored ? null : "not stored: a run would fail when it needs it")));
        }
        return uses;
    }

    /// <summary>The JSON shown and edited: a Conductor definition as stored; a node workflow's document as written.</summary>
    public static string EditableJson(WorkflowDef def)
    {
        JsonNode? node = NodeWiring.IsNodeWorkflow(def) && def.Extra![NodeWiring.DocumentField].ValueKind == JsonValueKind.Object
            ? JsonNode.Parse(def.Extra[NodeWiring.DocumentField].GetRawText())
            : JsonNode.Parse(BatonJson.Serialize(def));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            if (node is null) writer.WriteNullValue();
            else node.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Saves the editor's text: a document with <c>nodes</c> is a node workflow (PUT /v1/workflows/{identifier}), anything
    /// else a Conductor definition (PUT /api/metadata/workflow, one definition, paths from <c>$</c>).
    /// </summary>
    public static async Task<SaveOutcome> SaveAsync(HttpContext context, DefinitionCatalog catalog, NodeSchedules schedules, string? text, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text)) return new(true, "The definition is empty.", [new ValidationProblem("$", "a JSON definition is required")]);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > MaxEditorBytes) return new(true, $"The definition is larger than {MaxEditorBytes} bytes.", [new ValidationProblem("$", $"at most {MaxEditorBytes} bytes")]);
        try
        {
            var doc = JsonBody.Parse(bytes, BatonJson.Context.JsonObject);
            if (doc.ContainsKey("nodes"))
            {
                var identifier = doc["identifier"] is JsonValue id && id.GetValueKind() == JsonValueKind.String ? id.GetValue<string>() : null;
                if (string.IsNullOrEmpty(identifier)) throw new InvalidRequestException("$.identifier", "a node workflow needs an identifier");
                var (saved, _) = await NodeWorkflowEndpoints.PutAsync(context.Request, catalog, schedules, identifier, doc, ct);
                return new(false, $"Saved node workflow '{saved.Name}' version {saved.Version}.", [], saved.Name);
            }
            var def = JsonBody.Parse(bytes, BatonJson.Context.WorkflowDef);
            await MetadataEndpoints.SaveWorkflowDefsAsync(context.Request, catalog, [def], asList: false, ct);
            return new(false, $"Saved '{def.Name}' version {def.Version}.", [], def.Name);
        }
        catch (InvalidRequestException e)
        {
            return new(true, e.Problems.Count == 1 ? "The definition has a problem:" : $"The definition has {e.Problems.Count} problems:", e.Problems);
        }
        catch (Exception e) when (e is AccessDeniedException or ConflictException or NotFoundException)
        {
            return new(true, e.Message, []);
        }
    }

    /// <summary>
    /// The definition's graph as SVG, or null past <see cref="DefinitionGraph.MaxNodes"/>. Laid out once per content
    /// (name, version and fingerprint; a definition holds no value, so neither does its drawing): a layout of a few
    /// hundred boxes takes ~0.1 s. At most <see cref="MaxCachedGraphs"/> are kept; past that the cache starts afresh.
    /// </summary>
    public static string? GraphSvg(WorkflowDef def)
    {
        var key = $"{def.Name}\n{def.Version}\n{DefinitionFingerprint.Of(def)}";
        if (Graphs.TryGetValue(key, out var known)) return known;
        var svg = DefinitionGraph.Of(def) is { } graph ? SvgGraphRenderer.Render(graph, $"Graph of {def.Name} version {def.Version}") : null;
        if (Graphs.Count >= MaxCachedGraphs) Graphs.Clear();
        Graphs[key] = svg;
        return svg;
    }

    public const int MaxCachedGraphs = 256;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> Graphs = new(StringComparer.Ordinal);

    /// <summary>Whether the viewer may change this definition (UPDATE on its name), so the editor is offered.</summary>
    public static Task<bool> MayEditAsync(HttpContext context, string name) =>
        Guard.HoldsAsync(context.Request, new Target(TargetTypes.WorkflowDef, name), AccessRight.Update);
}
