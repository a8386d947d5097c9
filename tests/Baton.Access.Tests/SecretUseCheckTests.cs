using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Access.Store;
using Baton.Secrets.Audit;
using Baton.Secrets.Redaction;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Baton.Access.Tests;

/// <summary>
/// The run-time rule of a hand-off (<see cref="AccessControl.UseRefusal"/>) remembers its answers: a change to the access
/// model or to the secret's tags must still be seen by the very next check, after an answer was remembered. And using
/// is not reading: the definition's author must be able to READ, or a READ holder must have bound the secret to that
/// exact content, and a worker receiving the value must hold a right on it itself.
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
        await _access.PutUserAsync(Root.Id, "Root", [Roles.Admin], [], null, Root, default);
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], [], null, Root, default);
        var onSecret = new Target(TargetTypes.SecretName, ApiToken);
        IReadOnlyList<SecretTag> tags = [];
        Assert.False(MayUse(Bo, ApiToken, tags));

        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Bo), onSecret, AccessRight.Execute, remove: false, Root, default);
        Assert.True(MayUse(Bo, ApiToken, tags));
        Assert.True(MayUse(Bo, ApiToken, tags));

        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Bo), onSecret, AccessRight.Execute, remove: true, Root, default);
        Assert.False(MayUse(Bo, ApiToken, tags));
    }

    [Fact]
    public async Task Leaving_the_group_that_holds_the_grant_refuses_the_next_use()
    {
        await _access.PutUserAsync(Root.Id, "Root", [Roles.Admin], [], null, Root, default);
        await _access.PutGroupAsync("payments", null, [], Root, default);
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], ["payments"], null, Root, default);
        await _access.ChangeGrantAsync(new Subject(SubjectTypes.Group, "payments"), new Target(TargetTypes.SecretName, ApiToken), AccessRight.Read, remove: false, Root, default);
        IReadOnlyList<SecretTag> tags = [];
        Assert.True(MayUse(Bo, ApiToken, tags));

        await _access.SetMembershipAsync("payments", [Bo], add: false, Root, default);
        Assert.False(MayUse(Bo, ApiToken, tags));

        await _access.SetMembershipAsync("payments", [Bo], add: true, Root, default);
        Assert.True(MayUse(Bo, ApiToken, tags));
        await _access.DeleteUserAsync(Bo, Root, default);
        Assert.False(MayUse(Bo, ApiToken, tags));
    }

    [Fact]
    public async Task New_tags_are_checked_again_and_a_removed_tag_refuses_the_next_use()
    {
        await _access.PutUserAsync(Root.Id, "Root", [Roles.Admin], [], null, Root, default);
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], [], null, Root, default);
        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Bo), new Target(TargetTypes.Tag, "team:payments"), AccessRight.Execute, remove: false, Root, default);
        IReadOnlyList<SecretTag> tagged = [new SecretTag("team", "payments")];
        Assert.True(MayUse(Bo, ApiToken, tagged));

        // The vault passes a new list when the tags change.
        IReadOnlyList<SecretTag> untagged = [new SecretTag("env", "prod")];
        Assert.False(MayUse(Bo, ApiToken, untagged));
        Assert.True(MayUse(Bo, ApiToken, [new SecretTag("team", "payments")]));
        Assert.False(MayUse(Bo, "other-secret", untagged));
        Assert.False(MayUse(null, ApiToken, tagged));
        Assert.False(MayUse("nobody@example.com", ApiToken, tagged));
    }

    private const string Cy = "cy@example.com";
    private static readonly DefinitionOrigin ByBo = new("pay", 1, Bo, "0123456789abcdef0123456789abcdef");

    [Fact]
    public async Task Execute_alone_does_not_let_the_value_flow_into_a_definition_its_holder_wrote()
    {
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], [], null, Root, default);
        var onSecret = new Target(TargetTypes.SecretName, ApiToken);
        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Bo), onSecret, AccessRight.Execute, remove: false, Root, default);
        IReadOnlyList<SecretTag> tags = [];

        var refusal = _access.UseRefusal(new ResolutionContext("wf", "t", "call", Bo) { Definition = ByBo }, ApiToken, tags);
        Assert.NotNull(refusal);
        Assert.Contains("workflow 'pay' version 1 was last saved by bo@example.com", refusal);
        Assert.Contains($"PUT /api/secrets/{ApiToken}/bindings/pay/1", refusal);

        // The same run of a definition someone who may READ wrote is fine.
        await _access.PutUserAsync(Root.Id, "Root", [Roles.Admin], [], null, Root, default);
        Assert.Null(_access.UseRefusal(new ResolutionContext("wf", "t", "call", Bo) { Definition = ByBo with { Author = Root.Id } }, ApiToken, tags));

        // A READ holder binds the secret to Bo's exact content: allowed; other content of the same name and version is not.
        await _access.ChangeBindingAsync(ApiToken, ByBo, remove: false, Root, default);
        Assert.Null(_access.UseRefusal(new ResolutionContext("wf", "t", "call", Bo) { Definition = ByBo }, ApiToken, tags));
        Assert.NotNull(_access.UseRefusal(new ResolutionContext("wf", "t", "call", Bo) { Definition = new("pay", 1, Bo, "ffffffffffffffffffffffffffffffff") }, ApiToken, tags));
        Assert.Equal([ByBo.BindingId], _access.BindingsOf(ApiToken));

        await _access.ChangeBindingAsync(ApiToken, ByBo, remove: true, Root, default);
        Assert.NotNull(_access.UseRefusal(new ResolutionContext("wf", "t", "call", Bo) { Definition = ByBo }, ApiToken, tags));
        Assert.NotNull(_access.UseRefusal(new ResolutionContext("wf", "t", "call", Bo), ApiToken, tags));
    }

    [Fact]
    public async Task A_worker_gets_a_value_only_when_it_may_use_the_secret_itself()
    {
        await _access.PutUserAsync(Root.Id, "Root", [Roles.Admin], [], null, Root, default);
        await _access.PutUserAsync(Cy, "Cy", [Roles.User], [], null, Root, default);
        IReadOnlyList<SecretTag> tags = [];
        var context = new ResolutionContext("wf", "t", "work", Root.Id) { Definition = ByBo with { Author = Root.Id }, Worker = Cy };
        Assert.Contains("worker cy@example.com may not use secret", _access.UseRefusal(context, ApiToken, tags));

        await _access.ChangeGrantAsync(new Subject(SubjectTypes.User, Cy), new Target(TargetTypes.SecretName, ApiToken), AccessRight.Execute, remove: false, Root, default);
        Assert.Null(_access.UseRefusal(context, ApiToken, tags));
    }

    [Fact]
    public async Task Writing_needs_update_on_a_taken_name_and_create_on_a_new_one()
    {
        await _access.PutUserAsync(Bo, "Bo", [Roles.User], [], null, Root, default);
        await _access.PutUserAsync(Cy, "Cy", [Roles.ReadOnlyUser], [], null, Root, default);
        Assert.Null(_access.WriteRefusal(Bo, ApiToken, exists: false, []));
        Assert.Contains("needs UPDATE on SECRET_NAME 'api-token'", _access.WriteRefusal(Bo, ApiToken, exists: true, []));
        Assert.Contains("needs CREATE", _access.WriteRefusal(Cy, ApiToken, exists: false, []));
        Assert.NotNull(_access.WriteRefusal(null, ApiToken, exists: false, []));

        await _access.SecretCreatedAsync(Bo, ApiToken, default);
        Assert.Null(_access.WriteRefusal(Bo, ApiToken, exists: true, []));

        // A purge forgets every grant on the name: a later secret of that name shares nothing with the old one.
        await _access.SecretPurgedAsync(ApiToken, default);
        Assert.NotNull(_access.WriteRefusal(Bo, ApiToken, exists: true, []));
    }

    /// <summary>The principal rule alone: the definition was written by an administrator, who may READ every secret.</summary>
    private bool MayUse(string? principal, string secret, IReadOnlyList<SecretTag> tags) =>
        _access.UseRefusal(new ResolutionContext("wf", "t", "call", principal) { Definition = new DefinitionOrigin("wf", 1, Root.Id, "00") }, secret, tags) is null;

    public void Dispose() => _access.Dispose();

    private sealed class NoStore : IAccessStore
    {
        public Task<AccessData> LoadAsync(CancellationToken ct = default) => Task.FromResult(new AccessData([], [], [], [], []));

        public Task SaveAsync(AccessChange change, CancellationToken ct = default) => Task.CompletedTask;

        public Task<bool> CreateFirstUserAsync(User user, CancellationToken ct = default) => Task.FromResult(false);
    }

    private sealed class NoAudit : IAuditLog
    {
        public Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default) => Task.CompletedTask;

        public Task AppendResolutionsAsync(IReadOnlyList<SecretResolution> resolutions, CancellationToken ct = default) => Task.CompletedTask;

        public Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default) => Task.FromResult<IReadOnlyList<AuditEvent>>([]);
    }
}
