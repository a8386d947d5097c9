using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Core.Json;
using Baton.Engine.Execution;
using Baton.Secrets.Audit;
using Baton.Secrets.Service;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>The audit log, the per-run secret manifest, and key administration.</summary>
public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", async (string? secret, string? principal, string? workflowId, string? action, long? from, long? to, int? limit,
            SecretVault vault, CancellationToken ct) =>
        {
            if (limit is < 1 or > 1000) throw new InvalidRequestException("limit", "limit must be between 1 and 1000");
            var events = await vault.QueryAuditAsync(new AuditQuery
            {
                Secret = secret,
                Principal = principal,
                WorkflowId = workflowId,
                Action = action,
                From = from,
                To = to,
                Limit = limit ?? 100,
            }, ct);
            var list = new JsonArray();
            foreach (var e in events)
            {
                list.Add(new JsonObject
                {
                    ["id"] = e.Id,
                    ["time"] = e.Time,
                    ["action"] = e.Action,
                    ["outcome"] = e.Outcome,
                    ["secret"] = e.Secret,
                    ["version"] = e.Version,
                    ["fingerprint"] = e.Fingerprint,
                    ["principal"] = e.Principal,
                    ["workflowId"] = e.WorkflowId,
                    ["taskId"] = e.TaskId,
                    ["taskReferenceName"] = e.TaskReferenceName,
                    ["detail"] = e.Detail,
                });
            }
            return Results.Json(list, BatonJson.Context.JsonArray);
        }).WithTags("Audit").WithMetadata(AccessRule.Role(Roles.Admin)).WithSummary("Audit events, newest first, by secret, principal, workflow, action and time (epoch ms)");

        app.MapGet("/api/workflow/{workflowId}/secrets", async (string workflowId, WorkflowExecutor executor, SecretVault vault, CancellationToken ct) =>
        {
            await executor.GetWorkflowAsync(workflowId, includeTasks: false, ct);
            var list = new JsonArray();
            foreach (var entry in await vault.ManifestAsync(workflowId, ct))
            {
                list.Add(new JsonObject
                {
                    ["secret"] = entry.Secret,
                    ["version"] = entry.Version,
                    ["fingerprint"] = entry.Fingerprint,
                    ["taskReferenceNames"] = new JsonArray([.. entry.TaskReferenceNames.Select(r => (JsonNode?)r)]),
                    ["firstUsedAt"] = entry.FirstUsedAt,
                });
            }
            return Results.Json(list, BatonJson.Context.JsonArray);
        }).WithTags("Workflows").WithMetadata(AccessRule.Run(AccessRight.Read)).WithSummary("The run's secret manifest: which secrets it used, which version, a keyed fingerprint, which tasks");

        var keys = app.MapGroup("/api/admin/keys").WithTags("Admin").WithMetadata(AccessRule.Role(Roles.Admin));
        keys.MapGet("/", (SecretVault vault) => Results.Json(KeysView(vault), BatonJson.Context.JsonObject))
            .WithSummary("The master key's fingerprint and the data key terms (never key material)");
        keys.MapPost("/rotate", async (HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            await vault.RotateDataKeyAsync(SecretEndpoints.Principal(request), ct);
            return Results.Json(KeysView(vault), BatonJson.Context.JsonObject);
        }).WithSummary("Start a new data key term; older terms stay readable");
        keys.MapPost("/master/rotate", async (HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            string? newKey = null;
            if (request.ContentLength is > 0)
            {
                var body = await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject);
                newKey = body["newMasterKey"] switch
                {
                    null => null,
                    JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
                    _ => throw new InvalidRequestException("$.newMasterKey", "newMasterKey is a string: 32 bytes of base64"),
                };
            }
            await vault.RotateMasterKeyAsync(newKey, SecretEndpoints.Principal(request), ct);
            return Results.Json(KeysView(vault), BatonJson.Context.JsonObject);
        }).WithSummary("Re-seal the keyring under a new master key (given as newMasterKey, or generated into the key file) without re-encrypting values");
    }

    private static JsonObject KeysView(SecretVault vault) => new()
    {
        ["masterKeyFingerprint"] = vault.MasterKeyFingerprint,
        ["terms"] = new JsonArray([.. vault.KeyTerms.Select(t => (JsonNode?)new JsonObject
        {
            ["term"] = t.Term, ["created"] = t.Created.ToUnixTimeMilliseconds(), ["encryptions"] = t.Encryptions,
        })]),
    };
}
