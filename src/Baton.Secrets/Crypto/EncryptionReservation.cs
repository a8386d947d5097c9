namespace Baton.Secrets.Crypto;

/// <summary>The answer of <see cref="Keyring.TryReserveEncryption"/>.</summary>
internal enum EncryptionReservation
{
    /// <summary>Counted on the active term; encrypt with the key handed out.</summary>
    Reserved,

    /// <summary>The active term reached <see cref="Keyring.RotateAfterEncryptions"/>: rotate first.</summary>
    Exhausted,

    /// <summary>The active term was made by an automatic rotation the caller has not yet stored.</summary>
    AwaitingPublication,
}
