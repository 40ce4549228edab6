"""JSON numbers in bodies: ints stay ints, floats stay floats, booleans and text are refused."""

import math
from typing import Annotated

from pydantic import AfterValidator, PlainValidator
from pydantic_core import PydanticCustomError


def _number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    return value


def _non_negative(value: int | float) -> int | float:
    if value < 0:
        raise PydanticCustomError("greater_than_equal", "must not be less than 0", {"ge": 0})
    return value


def _positive(value: int | float) -> int | float:
    if value <= 0:
        raise PydanticCustomError("greater_than", "must be greater than 0", {"gt": 0})
    return value


Number = Annotated[int | float, PlainValidator(_number)]
NonNegativeNumber = Annotated[Number, AfterValidator(_non_negative)]
PositiveNumber = Annotated[Number, AfterValidator(_positive)]
