"""Template functions against the results ARM's function reference documents."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from amlguard.iac.template import TemplateError
from amlguard.iac.values import Secret, Unknown
from tests.iac.helpers import RG, SUB, ev

DOCUMENTED: list[tuple[str, Any]] = [
    # string functions
    (
        "format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)",
        "Hello, User. Formatted number: 8,175,133",
    ),
    ("format('{0}-{{x}}', true())", "True-{x}"),
    ("string(true())", "True"),
    (
        "string(createObject('valueA', 10, 'valueB', 'Example Text'))",
        '{"valueA":10,"valueB":"Example Text"}',
    ),
    ("concat('prefix', '-', 'suffix')", "prefix-suffix"),
    ("concat(createArray('1-1', '1-2'), createArray('2-1'))", ["1-1", "1-2", "2-1"]),
    ("substring('one two three', 4, 3)", "two"),
    ("replace('123-123-1234', '-', '')", "1231231234"),
    ("split('one,two,three', ',')", ["one", "two", "three"]),
    ("split('one;two,three', createArray(',', ';'))", ["one", "two", "three"]),
    ("join(createArray('abc', 'def', 'ghi'), ',')", "abc,def,ghi"),
    ("startsWith('abcdef', 'AB')", True),
    ("endsWith('abcdef', 'EF')", True),
    ("endsWith('abcdef', 'e')", False),
    ("indexOf('test', 'T')", 0),
    ("lastIndexOf('abcdef', 'AB')", 0),
    ("indexOf('abcdef', 'z')", -1),
    ("padLeft('123', 10, '0')", "0000000123"),
    ("toLower('One Two')", "one two"),
    ("toUpper('One Two')", "ONE TWO"),
    ("trim('    one two three   ')", "one two three"),
    ("take('one two three', 2)", "on"),
    ("skip('one two three', 4)", "two three"),
    ("take(createArray('one', 'two', 'three'), 2)", ["one", "two"]),
    ("first('One Two Three')", "O"),
    ("last('One Two Three')", "e"),
    ("length('One Two Three')", 13),
    ("length(createObject('a', 1, 'b', 2))", 2),
    ("empty('')", True),
    ("empty(createObject())", True),
    ("empty(null())", True),
    ("contains('OneTwoThree', 'e')", True),
    ("contains(createObject('one', 'a'), 'ONE')", True),
    ("contains(createArray('one', 'two'), 'three')", False),
    ("base64('one, two, three')", "b25lLCB0d28sIHRocmVl"),
    ("base64ToString('b25lLCB0d28sIHRocmVl')", "one, two, three"),
    (
        "uriComponent('http://contoso.com/resources/nested/azuredeploy.json')",
        "http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json",
    ),
    (
        "uri('http://contoso.com/resources/', 'nested/azuredeploy.json')",
        "http://contoso.com/resources/nested/azuredeploy.json",
    ),
    # arrays and objects
    (
        "union(createArray('one', 'two', 'three'), createArray('three', 'four'))",
        ["one", "two", "three", "four"],
    ),
    (
        "union(createObject('one', 'a', 'two', 'b', 'three', 'c1'), "
        "createObject('three', 'c2', 'four', 'd'))",
        {"one": "a", "two": "b", "three": "c2", "four": "d"},
    ),
    (
        "union(createObject('p', createObject('one', 'a', 'three', 'c1'), 'n', createArray(1, 2)), "
        "createObject('p', createObject('three', 'c2', 'four', 'd'), 'n', createArray(3, 4)))",
        {"p": {"one": "a", "three": "c2", "four": "d"}, "n": [3, 4]},
    ),
    (
        "intersection(createObject('one', 'a', 'two', 'b', 'three', 'c'), "
        "createObject('one', 'a', 'two', 'z', 'three', 'c'))",
        {"one": "a", "three": "c"},
    ),
    ("items(createObject('b', 2, 'a', 1))", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
    ("objectKeys(createObject('a', 1, 'b', 2))", ["a", "b"]),
    ("range(1, 3)", [1, 2, 3]),
    ("flatten(createArray(createArray(1, 2), createArray(3)))", [1, 2, 3]),
    ("shallowMerge(createArray(createObject('a', 1), createObject('b', 2)))", {"a": 1, "b": 2}),
    ("tryGet(createObject('a', 1), 'b')", None),
    ("tryGet(createObject('a', createObject('b', 2)), 'a', 'b')", 2),
    ("createArray(1, 'a')[1]", "a"),
    ("json('{\"a\": [1, 2]}').a[1]", 2),
    ("json('null')", None),
    ("array('x')", ["x"]),
    # numbers and logic
    ("min(createArray(0, 3, 2, 5, 4))", 0),
    ("max(0, 3, 2, 5, 4)", 5),
    ("add(5, 3)", 8),
    ("sub(7, 3)", 4),
    ("mul(5, 3)", 15),
    ("div(8, 3)", 2),
    ("div(-7, 2)", -3),
    ("mod(7, 3)", 1),
    ("int('4')", 4),
    ("bool('true')", True),
    ("bool(0)", False),
    ("equals('a', 'A')", False),
    ("equals(createArray(1, 2), createArray(1, 2))", True),
    ("equals(1, '1')", False),
    ("less(10, 5)", False),
    ("greaterOrEquals('b', 'a')", True),
    ("coalesce(null(), null(), 'default')", "default"),
    ("if(equals(1, 1), 'yes', 'no')", "yes"),
    ("if(true(), 'a', fail('never evaluated'))", "a"),
    ("and(true(), false())", False),
    ("or(false(), true())", True),
    ("not(true())", False),
    ("like('abcdef', 'A*F')", True),
    # lambdas
    ("map(createArray(1, 2, 3), lambda('x', mul(lambdaVariables('x'), 2)))", [2, 4, 6]),
    ("filter(createArray(1, 2, 3), lambda('x', greater(lambdaVariables('x'), 1)))", [2, 3]),
    (
        "reduce(createArray(2, 3), 0, lambda('c', 'n', add(lambdaVariables('c'), lambdaVariables('n'))))",
        5,
    ),
    (
        "sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))",
        [1, 2, 3],
    ),
    (
        "toObject(createArray(createObject('name', 'a', 'v', 1)), lambda('e', lambdaVariables('e').name))",
        {"a": {"name": "a", "v": 1}},
    ),
    # deployment and resource functions
    ("resourceGroup().id", f"/subscriptions/{SUB}/resourceGroups/{RG}"),
    ("resourceGroup().location", "westeurope"),
    ("subscription().subscriptionId", SUB),
    (
        "resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')",
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet",
    ),
    (
        "resourceId('other', 'Microsoft.Storage/storageAccounts', 'st')",
        f"/subscriptions/{SUB}/resourceGroups/other/providers/Microsoft.Storage/storageAccounts/st",
    ),
    (
        "resourceId('s2', 'r2', 'Microsoft.Storage/storageAccounts', 'st')",
        "/subscriptions/s2/resourceGroups/r2/providers/Microsoft.Storage/storageAccounts/st",
    ),
    (
        "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')",
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/abc",
    ),
    (
        "tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')",
        "/providers/Microsoft.Authorization/policyDefinitions/p",
    ),
    (
        "extensionResourceId(resourceGroup().id, 'Microsoft.Authorization/roleAssignments', 'g')",
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Authorization/roleAssignments/g",
    ),
    ("environment().suffixes.storage", "core.windows.net"),
    ("deployment().name", "dep"),
    ("guid('a', 'b')", str(uuid.uuid5(uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830"), "a-b"))),
    ("uniqueString('tyeth')", "zcztcwvu6iyg6"),
]


@pytest.mark.parametrize(("expression", "expected"), DOCUMENTED)
def test_documented_result(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("copyIndex()", "outside a copy loop"),
        ("frobnicate(1)", "function 'frobnicate' is not supported"),
        ("substring('abc', 2, 5)", "outside the 3 characters"),
        ("createObject('a', 1).b", "property 'b' does not exist"),
        ("parameters('nope')", "not declared"),
        ("fail('stop here')", "stop here"),
        ("div(1, 0)", "division by zero"),
        ("padLeft('a', 999999999, '0')", "out of bounds"),
        ("format('{0,999999999}', 'a')", "out of bounds"),
        ("range(0, 999999999)", "out of bounds"),
    ],
)
def test_errors_are_input_errors_with_a_position(expression: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        ev(expression)
    assert message in str(info.value)
    assert str(info.value).startswith("t.json:1:1: ")


def test_unknowns_flow_and_equal_themselves() -> None:
    u = Unknown("/subscriptions/s/x:properties.principalId")
    params = {"p": u, "q": Unknown("other")}
    assert ev("equals(parameters('p'), parameters('p'))", params) is True
    result = ev("equals(parameters('p'), parameters('q'))", params)
    assert isinstance(result, Unknown)
    formatted = ev("format('{0}-x', parameters('p'))", params)
    assert isinstance(formatted, Unknown) and u.key in formatted.key
    assert ev("format('{0}-x', parameters('p'))", params) == formatted  # same computation
    assert ev("and(false(), parameters('p'))", params) is False
    assert ev("or(true(), parameters('p'))", params) is True
    assert isinstance(ev("and(true(), parameters('p'))", params), Unknown)
    assert ev("if(parameters('p'), 'same', 'same')", params) == "same"
    assert isinstance(ev("if(parameters('p'), createObject().missing, 1)", params), Unknown)
    assert ev("createArray(parameters('p'), 1)", params) == [u, 1]
    child = ev("parameters('p').inner", params)
    assert isinstance(child, Unknown) and child.key.endswith(".inner")


@pytest.mark.parametrize("expression", ["utcNow()", "newGuid()", "pickZones('a', 'b', 'c')"])
def test_runtime_functions_are_unknown(expression: str) -> None:
    assert isinstance(ev(expression), Unknown)


def test_list_functions_are_secret_unknowns() -> None:
    keys = ev("listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01')")
    assert isinstance(keys, Unknown) and keys.secret


def test_secrets_are_used_but_stay_secret() -> None:
    params = {"pw": Secret("hunter2-Secret", "parameters('pw')")}
    assert ev("empty(parameters('pw'))", params) is False
    assert ev("length(parameters('pw'))", params) == 14
    derived = ev("concat('x', parameters('pw'))", params)
    assert isinstance(derived, Secret) and "hunter2" not in repr(derived)
