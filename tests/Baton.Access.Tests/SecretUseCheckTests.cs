using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Access.Store;
using Baton.Secrets.Audit;
using Baton.Secrets.Redaction;
using Baton.Secrets.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Baton.Access.Tests;

/// <summary>
/// The run-time rule of a hand-off (<see cref="AccessControl.MayUse"/>) remembers its answers: a change to the access
/// model or to the secret's tags must still be seen by the very next check, after an answer was remembered.
/// </summary>
public sealed class SecretUseCheckTests : IDisposable
{
    private const string Bo = "bo@example.com";
    private const string ApiToken = "api-token";
    private static readonly Principal Root = new() { Id = "root@example.com", Name = "Root", Roles = [Roles.Admin] };

    private readonly AccessControl _access = new(
        new NoStore(), new NoAudit(), new SecretRedactor(), Options.Create(new AccessOptions()), TimeProvider.System, NullLogger<AccessControl>.Instance);

    [Fact]
    public async Task A_revoked_grant_refuses_the_next_use()
    {
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], [], null, Root, default);
        var onSecret = new Target(TargetTypes.SecretName, ApiToken);
        IReadOnlyList<SecretTag> tags = [];
        Assert.False(_access.MayUse(Bo, ApiToken, tags));

        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Bo), onSecret, AccessRight.Execute, remove: false, Root, default);
        Assert.True(_access.MayUse(Bo, ApiToken, tags));
        Assert.True(_access.MayUse(Bo, ApiToken, tags));

        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Bo), onSecret, AccessRight.Execute, remove: true, Root, default);
        Assert.False(_access.MayUse(Bo, ApiToken, tags));
    }

    [Fact]
    public async Task Leaving_the_group_that_holds_the_grant_refuses_the_next_use()
    {
        await _access.PutGroupAsync("payments", null, [], Root, default);
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], ["payments"], null, Root, default);
        await _access.ChangeGrantAsync(new Subject(SubjectTypes.Group, "payments"), new Target(TargetTypes.SecretName, ApiToken), AccessRight.Read, remove: false, Root, default);
        IReadOnlyList<SecretTag> tags = [];
        Assert.True(_access.MayUse(Bo, ApiToken, tags));

        await _access.SetMembershipAsync("payments", [Bo], add: false, Root, default);
        Assert.False(_access.MayUse(Bo, ApiToken, tags));

        await _access.SetMembershipAsync("payments", [Bo], add: true, Root, default);
        Assert.True(_access.MayUse(Bo, ApiToken, tags));
        await _access.DeleteUserAsync(Bo, Root, default);
        Assert.False(_access.MayUse(Bo, ApiToken, tags));
    }

    [Fact]
    public async Task New_tags_are_checked_again_and_a_removed_tag_refuses_the_next_use()
    {
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], [], null, Root, default);
        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Bo), new Target(TargetTypes.Tag, "team:payments"), AccessRight.Execute, remove: false, Root, default);
        IReadOnlyList<SecretTag> tagged = [new SecretTag("team", "payments")];
        Assert.True(_access.MayUse(Bo, ApiToken, tagged));

        // The vault passes a new list when the tags change.
        IReadOnlyList<SecretTag> untagged = [new SecretTag("env", "prod")];
        Assert.False(_access.MayUse(Bo, ApiToken, untagged));
        Assert.True(_access.MayUse(Bo, ApiToken, [new SecretTag("team", "payments")]));
        Assert.False(_access.MayUse(Bo, "other-secret", untagged));
        Assert.False(_access.MayUse(null, ApiToken, tagged));
        Assert.False(_access.MayUse("nobody@example.com", ApiToken, tagged));
    }

    public void Dispose() => _access.Dispose();

    private sealed class NoStore : IAccessStore
    {
        public Task<AccessData> LoadAsync(CancellationToken ct = default) => Task.FromResult(new AccessData([], [], [], [], []));

        public Task SaveAsync(AccessChange change, CancellationToken ct = default) => Task.CompletedTask;
    }

    private sealed class NoAudit : IAuditLog
    {
        public Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default) => Task.CompletedTask;

        public Task AppendResolutionsAsync(IReadOnlyList<SecretResolution> resolutions, CancellationToken ct = default) => Task.CompletedTask;

        public Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default) => Task.FromResult<IReadOnlyList<AuditEvent>>([]);
    }
}
