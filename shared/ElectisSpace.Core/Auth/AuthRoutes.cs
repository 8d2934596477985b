using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Auth;

public static class AuthRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Post("auth/login", "Auth_Login", AuthHandlers.Login) with
        {
            Tag = "Auth", Auth = RouteAuth.Public, Request = typeof(LoginRequest), Response = typeof(TokenResponse), SetsRefreshCookie = true,
            Summary = "Log in with email and password; returns an access token, a refresh token (also set as an HttpOnly cookie) and the user.",
            Errors = [ErrorCodes.Validation, ErrorCodes.Unauthorized, ErrorCodes.RateLimited],
        },
        Post("auth/refresh", "Auth_Refresh", AuthHandlers.Refresh) with
        {
            Tag = "Auth", Auth = RouteAuth.RefreshToken, Request = typeof(RefreshRequest), Response = typeof(TokenResponse), SetsRefreshCookie = true,
            Summary = "Exchange a refresh token (body or cookie) for a new token pair; the old refresh token stops working.",
            Errors = [ErrorCodes.Validation, ErrorCodes.Unauthorized, ErrorCodes.RateLimited],
        },
        Post("auth/logout", "Auth_Logout", AuthHandlers.Logout) with
        {
            Tag = "Auth", Auth = RouteAuth.RefreshToken, Request = typeof(RefreshRequest), SuccessStatus = 204, SetsRefreshCookie = true,
            Summary = "End the session of the refresh token (body or cookie) and clear the cookie.",
            Errors = [ErrorCodes.Validation],
        },
        Post("auth/change-password", "Auth_ChangePassword", AuthHandlers.ChangePassword) with
        {
            Tag = "Auth", Request = typeof(ChangePasswordRequest), Response = typeof(MessageResponse),
            Summary = "Change your password (policy: 8+ chars with upper, lower and digit); signs out every session.",
            Errors = [ErrorCodes.Validation],
        },
    ];
}
