package io.switchboard.protocol.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class UserIdsTest {

    private static void assertValid(String id) {
        assertNull(UserIds.problem(id), id);
    }

    /** Rejected, with a problem text that does not echo the id (it goes back to the client in the 400). */
    private static void assertInvalid(String id, String description) {
        final String problem = UserIds.problem(id);
        assertNotNull(problem, description);
        // Ids of one or two characters could match by accident ("/" in "contains '/'"); longer ones must not.
        if (id != null && id.length() >= 3) {
            assertFalse(problem.contains(id), () -> description + ": problem echoes the id: " + problem);
        }
    }

    @Test
    void theIdsTheGatewayWritesItselfAreReserved() {
        assertEquals("userId is reserved", UserIds.problem("system"));
        assertEquals("userId is reserved", UserIds.problem("*"));
        assertValid("System");
        assertValid("systems");
        assertValid("**");
    }

    @Test
    void validIds() {
        assertValid("admin");
        assertValid("a");
        assertValid("user123");
        assertValid("张三");
        assertValid("a.b_c-d@e");
        assertValid("cf2137234f3943e3898df8fcd14f099a__mtx");
        assertValid("😀");
        assertValid("%41"); // already decoded: a literal percent sign is an ordinary character
    }

    @Test
    void exactly128CodePointsIsValid() {
        assertEquals(128, UserIds.MAX_CHARS);
        assertValid("x".repeat(128));
        assertValid("中".repeat(128));
        final String astral = "😀".repeat(128);
        assertEquals(256, astral.length());
        assertValid(astral);
        assertValid("a".repeat(64) + "😀".repeat(64));
    }

    @Test
    void tooLongIsInvalid() {
        assertInvalid("x".repeat(129), "129 ascii");
        assertInvalid("😀".repeat(129), "129 astral");
        assertInvalid("x".repeat(10_000), "10000 ascii");
    }

    @Test
    void emptyOrNullIsInvalid() {
        assertInvalid("", "empty");
        assertInvalid(null, "null");
    }

    @Test
    void slashIsInvalid() {
        assertInvalid("a/b", "slash");
        assertInvalid("/", "only slash");
        assertInvalid("admin/", "trailing slash");
    }

    @Test
    void whitespaceIsInvalid() {
        assertInvalid("a b", "space");
        assertInvalid(" admin", "leading space");
        assertInvalid("a\tb", "tab");
        assertInvalid("a\nb", "newline");
        assertInvalid("a\rb", "CR");
        assertInvalid("a\u00a0b", "NBSP");
        assertInvalid("a\u2028b", "line separator");
        assertInvalid("a\u2029b", "paragraph separator");
        assertInvalid("a\u3000b", "ideographic space");
        assertInvalid("a\u2007b", "figure space");
    }

    @Test
    void controlCharactersAreInvalid() {
        assertInvalid("a\u0000b", "NUL");
        assertInvalid("a\u0001b", "SOH");
        assertInvalid("a\u001bb", "ESC");
        assertInvalid("a\u007fb", "DEL");
        assertInvalid("a\u0085b", "NEL");
        assertInvalid("a\u009fb", "APC");
    }

    @Test
    void loneSurrogatesAreInvalid() {
        assertInvalid("a\ud83db", "lone high surrogate");
        assertInvalid("a\ude00b", "lone low surrogate");
        assertInvalid("a\ud83d", "trailing high surrogate");
        assertInvalid("\ude00\ud83d", "reversed pair");
    }

    @Test
    void formatCharactersAreInvalid() {
        assertInvalid("a\u200bb", "zero-width space");
        assertInvalid("a\u200db", "zero-width joiner");
        assertInvalid("a\u200eb", "left-to-right mark");
        assertInvalid("a\u202eb", "right-to-left override");
        assertInvalid("\ufeffadmin", "byte order mark");
        assertInvalid("a\u2060b", "word joiner");
    }
}
