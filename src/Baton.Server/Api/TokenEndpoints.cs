using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Access.Service;
using Baton.Core.Json;
using Baton.Engine.Execution;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary><c>/api/token</c>: sign in with an access key or an email and password; <c>userInfo</c> about the caller.</summary>
public static class TokenEndpoints
{
    public static void MapTokenEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/token").WithTags("Access");

        group.MapPost("/", async (HttpRequest request, SignIn signIn, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject);
            var expiration = body["expiration"] is JsonValue e && e.TryGetValue<long>(out var ms) ? ms : (long?)null;
            var client = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            SignInResult result;
            if (Text(body, "keyId") is { } keyId)
            {
                result = await signIn.WithKeyAsync(keyId, Text(body, "keySecret") ?? throw new InvalidRequestException("$.keySecret", "keySecret is required with keyId"), expiration, client, ct);
            }
            else if (Text(body, "email") is { } email)
            {
                result = await signIn.WithPasswordAsync(email, Text(body, "password") ?? throw new InvalidRequestException("$.password", "password is required with email"), expiration, client, ct);
            }
            else
            {
                throw new InvalidRequestException("$", "send {\"keyId\",\"keySecret\"} or {\"email\",\"password\"}");
            }

            if (result.RetryAfter is { } wait)
            {
                request.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return Results.Json(new JsonObject { ["status"] = 429, ["error"] = "TOO_MANY_ATTEMPTS", ["message"] = "Too many failed sign-ins; wait as Retry-After says" },
                    BatonJson.Context.JsonObject, statusCode: StatusCodes.Status429TooManyRequests);
            }
            // Orkes answers {"token"}; the expiry (ms since the epoch, and seconds from now) is Baton's addition.
            return result.Token is { } token
                ? Results.Json(new JsonObject
                {
                    ["token"] = token.Text,
                    ["expiresAt"] = token.ExpiresAt.ToUnixTimeMilliseconds(),
                    ["expiresIn"] = token.ExpiresInSeconds,
                }, BatonJson.Context.JsonObject)
                : Results.Json(new JsonObject { ["status"] = 401, ["error"] = "INVALID_CREDENTIALS", ["message"] = "Unknown key or wrong secret, or unknown user or wrong password" },
                    BatonJson.Context.JsonObject, statusCode: StatusCodes.Status401Unauthorized);
        }).WithMetadata(AccessRule.Public).Accepts<JsonObject>("application/json")
          .WithSummary("Sign in: {\"keyId\",\"keySecret\"} or {\"email\",\"password\"}, optional expiration (ms); answers {\"token\",\"expiresAt\" (ms),\"expiresIn\" (s)}");

        group.MapGet("/userInfo", (HttpRequest request) =>
        {
            var principal = request.CallerOf();
            return Results.Json(new JsonObject
            {
                ["id"] = principal.Id,
                ["name"] = principal.Name,
                ["applicationUser"] = principal.IsApplication,
                ["roles"] = new JsonArray([.. principal.Roles.Select(r => (JsonNode)new JsonObject { ["name"] = r })]),
                ["groups"] = new JsonArray([.. principal.Groups.Select(g => (JsonNode)new JsonObject { ["id"] = g })]),
            }, BatonJson.Context.JsonObject);
        }).WithMetadata(AccessRule.AnyPrincipal).WithSummary("Who the token belongs to, with its effective roles and groups");
    }

    internal static string? Text(JsonObject body, string name) =>
        body[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : body[name] is null ? null : throw new InvalidRequestException($"$.{name}", "must be a string");
}
