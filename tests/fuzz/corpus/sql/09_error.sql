CREATE SOURCE s (
    a INT,
    b DOUBEL;
