/**
 * @file The rolecall policy language, for editors (highlighting, folding, outline).
 *
 * Transcribed from grammar/rolecall.pest, the one grammar of the language (docs/language.md §8
 * is its summary): one rule here per rule there, under the same name where tree-sitter allows.
 * It is a little more permissive than pest (it does not refuse a reserved word as a name, nor
 * spaces around the dot of `scope.role`): rolecall itself says what is wrong; this grammar only
 * has to give every valid file a tree without an ERROR node, which
 * editors/tree-sitter-rolecall/test.sh checks on every policy of the repository.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

/** `item ("," item)*` */
const commaSep1 = (item) => seq(item, repeat(seq(',', item)));

module.exports = grammar({
  name: 'rolecall',

  // A byte-order mark is allowed at the start of a file (docs/language.md §2.1).
  extras: ($) => [/\s/, '\uFEFF', $.comment],

  // Keywords are extracted from identifiers: a word is a keyword only where the grammar has one,
  // so contextual words (`url`, `at`, `is`, `group`, …) stay usable as names, as in pest.
  word: ($) => $.identifier,

  rules: {
    source_file: ($) => repeat($._top_item),

    _top_item: ($) =>
      choice(
        $.policy_decl,
        $.source_decl,
        $.note_decl,
        $.include_decl,
        $.fact_decl,
        $.kind_decl,
        $.setting_decl,
        $.scope_decl,
        $.override_decl,
      ),

    // ------------------------------------------------------------------ lexical

    comment: (_) => token(seq('#', /[^\r\n]*/)),

    identifier: (_) => /[A-Za-z_][A-Za-z0-9_]*/,

    // `scope.name` or `name`.
    name_ref: ($) =>
      choice(
        field('name', $.identifier),
        seq(field('scope', $.identifier), token.immediate('.'), field('name', $.identifier)),
      ),

    string: ($) =>
      seq('"', repeat(choice($.string_content, $.escape_sequence)), token.immediate('"')),
    string_content: (_) => token.immediate(prec(1, /[^"\\\r\n]+/)),
    escape_sequence: (_) => token.immediate(seq('\\', /["\\nt]/)),

    integer: (_) => /[0-9]+/,

    label: ($) => $.string,

    // ------------------------------------------------------------------ file

    policy_decl: ($) => seq('policy', field('title', $.string)),
    source_decl: ($) => seq('source', field('title', $.string), repeat($.source_attr)),
    source_attr: ($) => seq(choice('url', 'date', 'lang'), $.string),
    note_decl: ($) => seq('note', $.string),
    include_decl: ($) => seq('include', field('path', $.string)),
    fact_decl: ($) => seq('fact', field('name', $.identifier), optional($.label)),
    kind_decl: ($) => seq('kind', field('name', $.identifier), optional($.label)),

    setting_decl: ($) =>
      seq(
        'setting',
        field('name', $.identifier),
        optional($.label),
        '{',
        repeat(choice($.setting_value, $.setting_default)),
        '}',
      ),
    setting_value: ($) => seq('value', field('name', $.identifier), optional($.label)),
    setting_default: ($) => seq('default', field('value', $.identifier)),

    // ------------------------------------------------------------------ scopes

    scope_decl: ($) =>
      seq('scope', field('name', $.identifier), optional($.label), '{', repeat($._scope_item), '}'),

    _scope_item: ($) =>
      choice(
        $.role_decl,
        $.action_decl,
        $.section_decl,
        $.rule,
        $.default_decl,
        $.assignable_decl,
        $.limit_decl,
        $.advise_decl,
        $.note_decl,
        $.group_decl,
      ),

    role_decl: ($) =>
      seq(
        'role',
        field('name', $.identifier),
        optional($.label),
        optional(seq(':', field('parents', $.name_list))),
      ),
    // `action mute "Mute someone" on participant`
    action_decl: ($) =>
      seq('action', field('name', $.identifier), optional($.label), optional($.action_target)),
    action_target: (_) => seq('on', 'participant'),
    section_decl: ($) =>
      seq(
        'section',
        optional(field('name', $.identifier)),
        field('title', $.string),
        '{',
        repeat(choice($.action_decl, $.rule, $.note_decl)),
        '}',
      ),
    group_decl: ($) =>
      seq('group', field('name', $.identifier), optional($.label), '=', field('actions', $.ident_list)),

    ident_list: ($) => commaSep1($.identifier),
    name_list: ($) => commaSep1($.name_ref),

    // ------------------------------------------------------------------ rules

    rule: ($) =>
      seq(
        field('effect', $.effect),
        field('roles', $.name_list),
        'to',
        field('actions', $.name_list),
        optional($.target_clause),
        optional($.when_clause),
      ),
    effect: (_) => choice('allow', 'deny', 'forbid'),
    // `on viewer, speaker exactly`, `on below`, `on at or below`, `on self`, `on others above`
    target_clause: ($) =>
      seq('on', choice(seq($.target_who, optional($.target_list)), $.target_list)),
    target_who: (_) => choice('self', 'others'),
    target_list: ($) => commaSep1($._target_sel),
    // The ranks (relative to the acting role) stay words of the list; a role is a node.
    _target_sel: ($) => choice('below', seq('at', 'or', 'below'), 'above', $.target_role),
    target_role: ($) => seq(field('role', $.identifier), optional('exactly')),
    when_clause: ($) => seq('when', field('condition', $._condition)),

    _condition: ($) =>
      choice(
        $.or_expr,
        $.and_expr,
        $.not_expr,
        $.parenthesized,
        $.bool_lit,
        $.target_kind_test,
        $.kind_test,
        $.setting_test,
        $.fact_ref,
      ),
    or_expr: ($) => prec.left(1, seq($._condition, 'or', $._condition)),
    and_expr: ($) => prec.left(2, seq($._condition, 'and', $._condition)),
    not_expr: ($) => prec(3, seq('not', $._condition)),
    parenthesized: ($) => seq('(', $._condition, ')'),
    // `plan is team, enterprise`
    setting_test: ($) => seq(field('setting', $.identifier), 'is', field('values', $.ident_list)),
    // `kind is anonymous, registrant`
    kind_test: ($) => seq('kind', 'is', field('kinds', $.ident_list)),
    // `target kind is registrant`: a targeted action's target's kind.
    target_kind_test: ($) => seq('target', 'kind', 'is', field('kinds', $.ident_list)),
    bool_lit: (_) => choice('true', 'false'),
    fact_ref: ($) => $.identifier,

    // ------------------------------------------------------------------ assignment

    // `default viewer`, `default none`, `default team_member: speaker`
    default_decl: ($) =>
      seq(
        'default',
        optional(seq(field('kind', $.identifier), ':')),
        field('role', $._role_or_none),
        optional($.when_clause),
      ),
    // `assignable registrant: external_speaker, viewer` or `assignable guest: none`
    assignable_decl: ($) =>
      seq(
        'assignable',
        field('kind', $.identifier),
        ':',
        field('roles', choice('none', $.ident_list)),
        optional($.when_clause),
      ),
    _role_or_none: ($) => choice('none', $.identifier),

    // ------------------------------------------------------------------ constraints and advice

    limit_decl: ($) => seq('limit', field('role', $.identifier), $.cardinality),
    cardinality: ($) =>
      choice(
        seq('at', 'most', $.integer),
        seq('at', 'least', $.integer),
        seq('exactly', $.integer),
        seq('between', $.integer, 'and', $.integer),
        'unlimited',
      ),
    // `advise 1 moderator per 50 to 100 participants "…"`
    advise_decl: ($) =>
      seq(
        'advise',
        $.integer,
        field('role', $.identifier),
        'per',
        $.integer,
        optional(seq('to', $.integer)),
        'participants',
        optional($.label),
      ),

    // ------------------------------------------------------------------ overrides

    // `workspace.admin joins session as organizer`, `event_owner also joins … when …`
    override_decl: ($) =>
      seq(
        field('from', $.name_ref),
        optional('also'),
        'joins',
        field('scope', $.identifier),
        'as',
        field('role', $.identifier),
        optional($.when_clause),
      ),
  },
});
